"""Cause and consequence: which finding explains which, decided once every check has run.

A check links findings it knows to be related (`Finding.caused_by`). Across checks the engine
links them here, by three rules:
- what the configuration layer does to a variable explains what later checks see of it: a root
  finding (`root_cause`) of an earlier stage (`Check.stage`: the files, then the values, then
  the integrations) causes every later-stage finding about one of its variables, or whose
  premise `assumes` one (a duplicated ENVIRONMENT line causes every production-only finding);
- the same network failure in most network checks (every host fails DNS, every connection is
  refused, every certificate fails verification) is one machine-wide root, `network.*`, with
  the per-check findings under it;
- a link names the ultimate root (chains are followed; cycles and dangling ids are dropped).

A consequence's fix is replaced by "fix the cause first": its own commands were written for a
premise the cause makes false (a `\\password` for the wrong role, a URI to register that is
itself wrong), so pasting them would do harm.
"""

from __future__ import annotations

from doctor.catalog import MACHINE_WIDE
from doctor.model import CheckResult, Finding, Fix, Severity, Status
from doctor.outcome import audit

NETWORK_CHECK = MACHINE_WIDE.id
_DIAGNOSE = {  # a first command that tells a machine-wide fault from a per-integration one
    "dns": "python3 -c \"import socket; print(socket.getaddrinfo('pypi.org', 443)[0][4][0])\"",
    "connect": "python3 -c \"import socket; socket.create_connection(('pypi.org', 443), 5); print('connected')\"",
    "tls_verify": ("python3 -c \"import socket, ssl; ssl.create_default_context().wrap_socket("
                   "socket.create_connection(('pypi.org', 443), 5), server_hostname='pypi.org'); print('verified')\""),
}
_ROOTS = {
    "dns": ("no_dns", "this machine cannot resolve host names",
            "Every one of them failed at name resolution, before any connection: that is this machine's DNS (or "
            "its network), not each service's configuration.",
            "Check the machine's network and DNS first (the command below resolves a public name); the "
            "per-integration findings folded under this one are only worth reading once names resolve."),
    "connect": ("unreachable", "this machine cannot open connections to its services",
                "Every one of them failed to open a TCP connection (refused, unreachable or timed out at connect): "
                "no network, a firewall or a proxy that must be configured, more likely than each service being "
                "down at once.",
                "Check outbound connections from this machine first (the command below opens one to a public "
                "host); the findings folded under this one are only worth reading once that works."),
    "tls_verify": ("tls_intercepted", "every TLS peer fails certificate verification",
                   "Every encrypted connection failed certificate verification: something between this machine and "
                   "its peers presents its own certificates (a TLS-intercepting proxy or antivirus), or this "
                   "machine's CA bundle is missing or stale.",
                   "Check TLS from this machine first (the command below verifies a public host). Behind a "
                   "corporate proxy, point SSL_CERT_FILE at its CA bundle; never turn verification off."),
}


def link(results: list[CheckResult]) -> list[CheckResult]:
    """Establish every cause link; return the results plus any machine-wide root's result."""
    results = results + _machine_wide_roots(results)
    _link_by_variables(results)
    roots = _resolve(results)
    _defuse(results, roots)
    return results


def root_of(finding: Finding, results: list[CheckResult]) -> Finding | None:
    """The finding `finding.caused_by` names, preferring one about the same variables."""
    if not finding.caused_by:
        return None
    named = [f for r in results for f in r.findings if f.id == finding.caused_by and f is not finding]
    about = [f for f in named if set(f.vars) & (set(finding.vars) | set(finding.assumes))]
    return (about or named or [None])[0]


def _machine_wide_roots(results: list[CheckResult]) -> list[CheckResult]:
    ran = [r for r in results if r.network and not r.offline_partial and r.status is not Status.SKIPPED]
    added = []
    for symptom, (slug, title, detail, fix_text) in _ROOTS.items():
        hit = [r for r in ran if any(f.symptom == symptom and not f.caused_by for f in r.findings)]
        if len(hit) < 2 or 2 * len(hit) < len(ran):
            continue
        symptoms = [f for r in hit for f in r.findings if f.symptom == symptom and not f.caused_by]
        names = ", ".join(r.id for r in hit)
        root = Finding(
            f"{NETWORK_CHECK}.{slug}", max((f.severity for f in symptoms), key=lambda s: s.weight),
            f"{len(hit)} integrations fail the same way ({names}): {title}",
            detail, Fix(fix_text, (_DIAGNOSE[symptom],)),
            vars=tuple(dict.fromkeys(v for f in symptoms for v in f.vars)), root_cause=True, check=NETWORK_CHECK,
        )
        audit(MACHINE_WIDE, [root])
        for finding in symptoms:
            finding.caused_by = root.id
        result = CheckResult(NETWORK_CHECK, "Network, across integrations", Status.FAILED, [root], synthetic=True)
        added.append(result)
    return added


def _link_by_variables(results: list[CheckResult]) -> None:
    roots = [(r.stage, index, f) for index, r in enumerate(results) for f in r.findings if f.root_cause]
    for result in results:
        for finding in result.findings:
            if finding.caused_by:
                continue
            about = set(finding.vars) | set(finding.assumes)
            candidates = [(stage, -root.severity.weight, index, root) for stage, index, root in roots
                          if stage < result.stage and root is not finding and set(root.vars) & about]
            if candidates:
                finding.caused_by = min(candidates, key=lambda c: c[:3])[3].id


def _resolve(results: list[CheckResult]) -> dict[int, Finding]:
    """Each consequence's ultimate root (keyed by the consequence's object id); links that name
    no finding, or that go round in a cycle, are cleared."""
    everything = [f for r in results for f in r.findings]
    for finding in everything:
        if finding.caused_by and root_of(finding, results) is None:
            finding.caused_by = ""  # names no finding of this run
    roots: dict[int, Finding] = {}
    for finding in everything:
        chain = [finding]
        cause = root_of(finding, results)
        while cause is not None and all(cause is not seen for seen in chain):
            chain.append(cause)
            cause = root_of(cause, results)
        if cause is not None:  # back to a finding already in the chain: a cycle has no root
            finding.caused_by = ""
            continue
        if len(chain) > 1:
            roots[id(finding)] = chain[-1]
    for finding in everything:
        root = roots.get(id(finding))
        finding.caused_by = root.id if root is not None else ""
        finding.cause = root
    return roots


def _defuse(results: list[CheckResult], roots: dict[int, Finding]) -> None:
    for result in results:
        for finding in result.findings:
            root = roots.get(id(finding))
            if root is None:
                continue
            own = finding.fix.text if finding.fix else ""
            text = f"Caused by {root.id}: fix that first, then run the doctor again."
            if own:
                text += f" Only if this remains after that: {own}"
            finding.fix = Fix(text)


def effective_severity(root: Finding, consequences: list[Finding]) -> Severity:
    """A root stands as high as the worst finding it causes."""
    return max((root.severity, *(f.severity for f in consequences)), key=lambda s: s.weight)
