"""The `oauth` check's online part: two requests to Google that change nothing.

1. Token endpoint (DOCTOR_GOOGLE_TOKEN_URL or https://oauth2.googleapis.com/token): exchange a
   bogus authorization code. `invalid_grant` proves the client id and secret are right; 401
   `invalid_client` says which of the two is wrong.
2. Authorization endpoint (DOCTOR_GOOGLE_AUTH_URL or https://accounts.google.com/o/oauth2/v2/auth),
   redirects not followed: `redirect_uri_mismatch` means the redirect URI is not registered; a
   redirect to Google's sign-in page means it is. Anything else is inconclusive, never "ok".

Both answers are read through a size-capped transport (checks.common.cap_client) under an
`asyncio.timeout`; a token answer that is not Google's JSON error, or any answer over the cap, is
`oauth.not_the_service` (something else answered), a warning.
"""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from checks.common import MAX_RESPONSE_BYTES, ResponseTooLarge, cap_client, network_symptom
from checks.oauth.const import CLIENT_ID, CREDENTIALS_PATH, REDIRECT, SECRET, TOKEN_URL
from checks.oauth.failures import network_finding, shown
from doctor import Context, Finding, Fix, Severity
from doctor.secret import Redactor

AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
BOGUS_CODE = "chaski-doctor-probe"
_CODE = re.compile(r"^[a-z_]{1,40}$")


class _Failed(Exception):
    """The request did not produce a usable answer; `kind` is `timeout`, `unreachable` or `not_the_service`."""

    def __init__(self, kind: str, why: str, symptom: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.why = why
        self.symptom = symptom


async def probe(ctx: Context, client_id: str, secret: str, redirect_uri: str) -> tuple[list[Finding], bool]:
    """Ask both endpoints; return findings (none when Google confirms everything) and whether Google
    positively accepted the redirect URI (a redirect to its sign-in page)."""
    import httpx

    scrub = Redactor([secret, ctx.get(SECRET) or ""])
    token_url = (ctx.get("DOCTOR_GOOGLE_TOKEN_URL") or TOKEN_URL).strip()
    auth_url = (ctx.get("DOCTOR_GOOGLE_AUTH_URL") or AUTH_URL).strip()
    findings: list[Finding] = []
    unclear: list[str] = []
    failures: dict[str, list[str]] = {}
    form = {"grant_type": "authorization_code", "code": BOGUS_CODE, "client_id": client_id,
            "client_secret": secret, "redirect_uri": redirect_uri}
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "openid"}
    async with cap_client(httpx.AsyncClient(timeout=ctx.timeout, follow_redirects=False)) as client:
        # Both at once: the answers are independent, and the check's worst case stays one timeout.
        token, auth = await asyncio.gather(_send(ctx, client, "POST", token_url, data=form),
                                           _send(ctx, client, "GET", auth_url, params=params),
                                           return_exceptions=True)
    symptoms: set[str] = set()
    for answer, name, url in ((token, "token", token_url), (auth, "authorization", auth_url)):
        if isinstance(answer, _Failed):
            failures.setdefault(answer.kind, []).append(f"the {name} endpoint {shown(url)} ({answer.why})")
            if answer.kind != "not_the_service":
                symptoms.add(answer.symptom)
        elif isinstance(answer, BaseException):
            raise answer
    if not isinstance(token, BaseException):
        findings += _token_findings(ctx, token, scrub, unclear, failures)
    accepted = not isinstance(auth, BaseException) and _accepted(auth)
    if not isinstance(auth, BaseException):
        reported = {f.id for f in findings}
        findings += [f for f in _auth_findings(ctx, auth, redirect_uri, unclear) if f.id not in reported]
    for kind, where in failures.items():
        finding = network_finding(ctx, kind, where)
        if kind != "not_the_service":  # both endpoints failed the same way: one machine-wide symptom
            finding.symptom = symptoms.pop() if len(symptoms) == 1 else ""
        findings.append(finding)
    if unclear:
        findings.append(Finding(
            "oauth.inconclusive", Severity.INFO,
            "Google's answer did not confirm the OAuth client setup",
            "The doctor could not recognise " + "; ".join(unclear) + ". This is not a confirmation that sign-in "
            "works: try signing in with Google once after deploying.",
            Fix(f"Compare the client and its Authorized redirect URIs in Google Cloud Console > {CREDENTIALS_PATH}."),
            (CLIENT_ID, REDIRECT),
        ))
    return findings, accepted


async def _send(ctx: Context, client: Any, method: str, url: str, **kwargs: Any) -> Any:
    import httpx

    try:
        async with asyncio.timeout(ctx.timeout):
            return await client.request(method, url, **kwargs)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise _Failed("timeout", f"no answer within {ctx.timeout:g} s") from exc
    except ResponseTooLarge as exc:
        raise _Failed("not_the_service", f"an answer over {MAX_RESPONSE_BYTES // 2**20} MB, not read") from exc
    except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError) as exc:
        raise _Failed("unreachable", type(exc).__name__, network_symptom(exc)) from exc
    except httpx.HTTPError as exc:
        raise _Failed("unreachable", type(exc).__name__, network_symptom(exc)) from exc
    except Exception as exc:  # httpx lets some socket errors through raw (a port over 65535: OverflowError)
        raise _Failed("unreachable", type(exc).__name__, network_symptom(exc)) from exc


def _token_findings(ctx: Context, response: Any, scrub: Redactor, unclear: list[str],
                    failures: dict[str, list[str]]) -> list[Finding]:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, str):  # Google's token endpoint answers a bogus code with a JSON `error`, always
        what = "JSON without an `error`" if isinstance(body, dict) else "not a JSON object"
        failures.setdefault("not_the_service", []).append(
            f"the token endpoint {shown(str(response.request.url))} (HTTP {response.status_code}, {what})")
        return []
    description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
    if error == "invalid_grant":
        return []  # the bogus code was refused only after the client id and secret were accepted
    if error == "invalid_client" and "not found" in description.lower():
        return [client_not_found(ctx)]
    if error == "invalid_client" and description.strip().lower() == "unauthorized":
        return [Finding(
            "oauth.client_secret_wrong", Severity.ERROR,
            f"Google rejected {SECRET} for this client id",
            "The token endpoint answered 401 invalid_client 'Unauthorized': the client exists but the secret does "
            "not belong to it (a secret from another client or project, or one that was reset). Every sign-in "
            f"would fail when the app exchanges the code. Secret in use: {ctx.secret(SECRET)}.",
            ctx.set_fix(SECRET, "<secret>", text=f"Copy the Client secret of this client from {CREDENTIALS_PATH} "
                                                 "(or add a new secret there)."),
            (SECRET, CLIENT_ID),
        )]
    if error == "deleted_client":
        return [client_deleted(ctx)]
    said = error if isinstance(error, str) and _CODE.match(error) else None
    words = f" '{scrub(description)[:160]}'" if said and description.isprintable() else ""
    unclear.append(f"the token endpoint's HTTP {response.status_code}"
                   + (f" {said}{words}" if said else " answer"))
    return []


def _auth_findings(ctx: Context, response: Any, redirect_uri: str, unclear: list[str]) -> list[Finding]:
    location = response.headers.get("location", "")
    text = " ".join((response.text[:200_000], unquote(location), _auth_error(location)))
    if "redirect_uri_mismatch" in text:
        return [Finding(
            "oauth.redirect_uri_not_registered", Severity.ERROR,
            f"{REDIRECT} is not an Authorized redirect URI of this Google client",
            "Google answered redirect_uri_mismatch: it only sends users back to URIs registered for the client, "
            "character for character (scheme, host, port, path, trailing slash). Every sign-in stops at "
            "'Error 400: redirect_uri_mismatch'.",
            Fix(f"In Google Cloud Console open {CREDENTIALS_PATH}, choose this client, and under Authorized "
                f"redirect URIs add exactly {redirect_uri} (changes can take a few minutes to apply)."),
            (REDIRECT, CLIENT_ID),
        )]
    if "deleted_client" in text:
        return [client_deleted(ctx)]
    if "invalid_client" in text or "The OAuth client was not found" in text:
        return [client_not_found(ctx)]
    if _accepted(response):
        return []
    unclear.append(f"the authorization endpoint's HTTP {response.status_code} answer"
                   + (" (a redirect that is not Google's sign-in page)" if location else ""))
    return []


def _accepted(response: Any) -> bool:
    """A redirect to Google's sign-in page: the client exists and the redirect URI is registered."""
    return response.status_code in (301, 302, 303, 307, 308) and _is_sign_in(response.headers.get("location", ""))


def _is_sign_in(location: str) -> bool:
    parts = urlsplit(location)
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    google = host == "accounts.google.com" or host.endswith(".accounts.google.com")
    return google and ("servicelogin" in path or "signin" in path) and "/error" not in path


def _auth_error(location: str) -> str:
    """Google's error redirect carries `authError`, a base64 blob naming the error; decode it."""
    try:
        values = parse_qs(urlsplit(location).query).get("authError", [])
        blob = values[0] if values else ""
        return base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)).decode("latin-1") if blob else ""
    except (ValueError, TypeError):
        return ""


def client_not_found(ctx: Context) -> Finding:
    """Google does not know GOOGLE_CLIENT_ID."""
    return Finding(
        "oauth.client_not_found", Severity.ERROR,
        f"Google does not know the client id in {CLIENT_ID}",
        "Google answered invalid_client 'The OAuth client was not found': the id is mistyped, belongs to a "
        "deleted client, or is from another Google account's project. Nobody can sign in with Google.",
        ctx.set_fix(CLIENT_ID, "<client-id>.apps.googleusercontent.com",
                    text=f"Copy the Client ID from Google Cloud Console > {CREDENTIALS_PATH}."),
        (CLIENT_ID,),
    )


def client_deleted(ctx: Context) -> Finding:
    """The client in GOOGLE_CLIENT_ID was deleted in the Cloud Console."""
    return Finding(
        "oauth.client_deleted", Severity.ERROR,
        f"The Google OAuth client in {CLIENT_ID} was deleted",
        "Google answered deleted_client. A deleted client can be restored within 30 days from the Credentials "
        "page; otherwise create a new one and update the id and secret.",
        ctx.set_fix(CLIENT_ID, "<client-id>.apps.googleusercontent.com",
                    text=f"Restore the client or create a new one in {CREDENTIALS_PATH}."),
        (CLIENT_ID, SECRET),
    )
