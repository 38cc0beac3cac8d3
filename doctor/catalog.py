"""Every finding id the installed checks can emit, looked up by id.

The rows come from each check's declared `catalog` plus the ids the engine itself gives every
check (`crashed`, `timed_out`, `unset`, `load_failed`). `doctor explain` and `doctor list --findings`
print them; the test suite compares them with a committed snapshot.
"""

from __future__ import annotations

from doctor.check import Check, FindingSpec
from doctor.severity import Severity

ENGINE_SPECS = (
    FindingSpec("crashed", Severity.ERROR,
                "The check raised an exception: a bug in the doctor or in the check's plugin.",
                "Report the exception type and location the finding names; the other checks still ran.",
                causes="An input or a server answer the check did not expect."),
    FindingSpec("timed_out", Severity.ERROR, "The check did not finish within its time budget or the run's deadline.",
                "Run it alone with a longer timeout (doctor --only ID --timeout 30 -v) to see where it waits.",
                causes="A peer that accepts the connection but never answers, or a firewall that drops packets."),
    FindingSpec("unset", Severity.ERROR,
                "The check was skipped because a variable it needs is unset, and no other selected check said so.",
                "Set the variable; a run without --only explains each missing variable and what it should hold.",
                causes="`--only` naming this check while the variable is missing, e.g. `doctor --only postgres`."),
    FindingSpec("load_failed", Severity.ERROR, "The check's entry point could not be imported, so it did not run.",
                "Reinstall the package that provides it; `doctor list` shows what is installed.",
                causes="A broken or half-installed plugin package, or two packages claiming the same check id."),
)
ENGINE_SLUGS = frozenset(spec.slug for spec in ENGINE_SPECS)


class MachineWide(Check):
    """Findings the engine makes across integrations: one network fault that several checks saw.

    Not an installed check (nothing runs it): `doctor/causes.py` adds its findings when most
    network checks fail the same way, and folds theirs under it.
    """

    id = "network"
    title = "Network, across integrations"
    order = 0
    docs = "Troubleshooting"
    catalog = (
        FindingSpec("no_dns", Severity.ERROR,
                    "Most network checks fail at name resolution: this machine cannot resolve host names.",
                    "Fix the machine's DNS or network first; the folded per-integration findings follow from it.",
                    causes="No network, a broken resolver, a VPN or container without DNS."),
        FindingSpec("unreachable", Severity.ERROR,
                    "Most network checks cannot open a TCP connection: this machine cannot reach its services.",
                    "Fix outbound connections first (network, firewall, proxy); the folded findings follow from it.",
                    causes="No network, an egress firewall, a proxy that must be configured."),
        FindingSpec("tls_intercepted", Severity.ERROR,
                    "Most TLS peers fail certificate verification: something intercepts TLS, or the CA bundle is "
                    "missing.",
                    "Give Python the proxy's CA bundle (SSL_CERT_FILE), or fix the CA store; never turn "
                    "verification off.",
                    causes="A TLS-intercepting corporate proxy or antivirus, a stale or missing CA bundle."),
    )


MACHINE_WIDE = MachineWide()


class CatalogRow:
    """One finding id with everything `doctor explain` shows about it."""

    __slots__ = ("check", "docs", "id", "spec", "vars")

    def __init__(self, id: str, check: str, spec: FindingSpec, docs: str, vars: tuple[str, ...]) -> None:
        self.id, self.check, self.spec, self.docs, self.vars = id, check, spec, docs, vars

    def to_dict(self) -> dict[str, object]:
        """The row as `doctor list --findings --format json` prints it."""
        return {
            "id": self.id, "check": self.check, "severity": self.spec.severity.value,
            "meaning": self.spec.meaning, "causes": self.spec.causes, "fix": self.spec.fix,
            "docs": self.docs, "vars": list(self.vars),
        }


def declared_ids(check: Check) -> frozenset[str]:
    """Every id `check` may emit: its catalog and the engine's ids for it."""
    slugs = [spec.slug for spec in check.catalog] + list(ENGINE_SLUGS)
    return frozenset(f"{check.id}.{slug}" for slug in slugs)


def rows_of(check: Check) -> list[CatalogRow]:
    """The check's catalog rows, its declared ones first, then the engine's."""
    rows = []
    for spec in (*check.catalog, *(() if isinstance(check, MachineWide) else ENGINE_SPECS)):
        rows.append(CatalogRow(f"{check.id}.{spec.slug}", check.id, spec,
                               spec.docs or check.docs, tuple(spec.vars) or tuple(check.vars)))
    return rows


def all_rows(checks: list[Check]) -> list[CatalogRow]:
    """Every row of every check, in check order, then the engine's machine-wide findings."""
    return [row for check in (*checks, MACHINE_WIDE) for row in rows_of(check)]


def closest(wanted: str, known: list[str], count: int = 3) -> list[str]:
    """The known ids nearest to `wanted` (a misspelt id, a slug without its check)."""
    import difflib

    suffix = [k for k in known if k.endswith("." + wanted)]
    near = difflib.get_close_matches(wanted, known, n=count, cutoff=0.5)
    return list(dict.fromkeys(suffix + near))[:count]
