"""The `oauth` check: Google sign-in settings. Static checks of the client id, secret and redirect
URI, then (online) probes of Google's token and authorization endpoints (see `checks.oauth.probe`)."""

from __future__ import annotations

import re

from checks.common import cleaned, describe_stray, is_placeholder, parse_url
from checks.oauth.const import CLIENT_ID, CREDENTIALS_PATH, FRONTEND, REDIRECT, SECRET
from doctor import Context, Finding, Severity

CALLBACK_PATH = "/api/auth/google/callback"

_CLIENT_ID = re.compile(r"^\d+-[0-9A-Za-z]+\.apps\.googleusercontent\.com$")
_SECRET_CHARS = re.compile(r"^[0-9A-Za-z_\-]+$")


_URI_ERRORS = ("oauth.redirect_trailing_slash", "oauth.redirect_not_https", "oauth.redirect_host_mismatch",
               "oauth.redirect_malformed")


def merge(static: list[Finding], live: list[Finding], accepted: bool) -> list[Finding]:
    """Combine static and live findings without reporting one cause twice.

    A redirect_uri_mismatch that follows from a static URI error is folded into that error, or,
    after a path the backend does not serve, names it as its cause; a trailing slash Google
    accepted (it is registered that way) is only worth knowing.
    """
    uri_errors = [f for f in static if f.id in _URI_ERRORS]
    if uri_errors and any(f.id == "oauth.redirect_uri_not_registered" for f in live):
        live = [f for f in live if f.id != "oauth.redirect_uri_not_registered"]
        for finding in uri_errors:
            finding.detail += " Google confirms that this URI, as set, is not registered (redirect_uri_mismatch)."
    path = next((f for f in static if f.id == "oauth.redirect_path"), None)
    if path is not None:  # the wrong path explains Google's mismatch: registering that URI would be wrong too
        for finding in live:
            if finding.id == "oauth.redirect_uri_not_registered":
                finding.caused_by = path.id
                path.root_cause = True
    for finding in static:
        if accepted and finding.id == "oauth.redirect_trailing_slash":
            finding.severity = Severity.INFO
            finding.title = f"{REDIRECT} ends with a slash (registered that way, so sign-in works)"
            finding.detail = ("Google accepted the URI with its trailing slash, so it is registered exactly like this. "
                              "Keep the Console entry and this value identical if either changes.")
            finding.fix = None
    return static + live


def static_findings(ctx: Context) -> list[Finding]:
    """Everything that can be said without asking Google."""
    raw = {name: ctx.get(name) or "" for name in (CLIENT_ID, SECRET, REDIRECT)}
    placeholders = tuple(name for name in raw if is_placeholder(raw[name]))
    findings: list[Finding] = []
    if placeholders:
        findings.append(Finding(
            "oauth.placeholder", Severity.ERROR,
            f"{', '.join(placeholders)} still hold the example value from the setup guide",
            "Google sign-in cannot work with the guide's placeholders. Copy the real values from Google Cloud "
            f"Console > {CREDENTIALS_PATH}.",
            ctx.set_fix(placeholders[0], f"<{placeholders[0].lower()}>", text="Set the real value."),
            placeholders,
        ))
    for name in raw:
        findings += _stray_characters(ctx, name, raw[name])
    if CLIENT_ID not in placeholders:
        findings += _client_id(ctx, cleaned(raw[CLIENT_ID]))
    if SECRET not in placeholders:
        findings += _secret(ctx, cleaned(raw[SECRET]), cleaned(raw[CLIENT_ID]))
    if REDIRECT not in placeholders:
        findings += redirect_findings(ctx, cleaned(raw[REDIRECT]))
    return findings


def _stray_characters(ctx: Context, name: str, raw: str) -> list[Finding]:
    what = describe_stray(raw)
    if not what:
        return []
    # Google compares client ids and redirect URIs byte for byte; the secret case is only a warning
    # because some clients trim it, but the app's library sends it as set.
    severity = Severity.WARNING if name == SECRET else Severity.ERROR
    return [Finding(
        "oauth.stray_characters", severity,
        f"{name} has {what}",
        "The value is sent to Google exactly as set: an extra character in the client id or redirect URI makes "
        "Google answer invalid_client or redirect_uri_mismatch, and in the secret it can fail the token exchange. "
        "The online probes were run with the characters removed.",
        ctx.set_fix(name, "<value without spaces or quotes>" if name == SECRET else cleaned(raw),
                    text=f"Remove the extra characters from {name}."),
        (name,),
    )]


def _client_id(ctx: Context, value: str) -> list[Finding]:
    if _CLIENT_ID.match(value):
        return []
    if value.endswith(".apps.googleusercontent.com"):
        why = "the part before .apps.googleusercontent.com should be <project number>-<random characters>"
    else:
        why = "it does not end with .apps.googleusercontent.com"
    return [Finding(
        "oauth.client_id_shape", Severity.ERROR,
        f"{CLIENT_ID} is not a Google OAuth client id ({why})",
        "A web client id looks like 123456789012-abc123….apps.googleusercontent.com. Google answers "
        "'The OAuth client was not found' to anything else, so nobody can sign in with Google.",
        ctx.set_fix(CLIENT_ID, "<client-id>.apps.googleusercontent.com",
                    text=f"Copy the Client ID from Google Cloud Console > {CREDENTIALS_PATH}."),
        (CLIENT_ID,),
    )]


def _secret(ctx: Context, value: str, client_id: str) -> list[Finding]:
    # Current secrets start with GOCSPX-; older 24-character ones are still valid, so only
    # obvious nonsense is flagged, and only as a warning (the live probe gives the verdict).
    if value.startswith("GOCSPX-") and _SECRET_CHARS.match(value):
        return []
    problem = None
    if value == client_id or value.endswith(".apps.googleusercontent.com"):
        problem = "it is a client id, not a client secret"
    elif len(value) < 20:
        problem = f"it is only {len(value)} characters"
    elif not _SECRET_CHARS.match(value):
        problem = "it contains characters Google never uses in a secret (spaces, punctuation or non-ASCII)"
    if problem is None:
        return []
    return [Finding(
        "oauth.client_secret_shape", Severity.WARNING,
        f"{SECRET} does not look like a Google client secret ({problem})",
        "Google client secrets start with GOCSPX- (older ones are 24 letters, digits, - and _). "
        f"Value in use: {ctx.secret(SECRET)}.",
        ctx.set_fix(SECRET, "<secret>", text=f"Copy the Client secret from Google Cloud Console > {CREDENTIALS_PATH}."),
        (SECRET,),
    )]


def redirect_findings(ctx: Context, uri: str) -> list[Finding]:
    """Problems with the redirect URI Google will compare, character for character, to its list."""
    parsed = parse_url(uri)
    parts = parsed.parts
    if parsed.error or parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        why = parsed.error or "it needs an http(s) scheme and a host"
        return [Finding(
            "oauth.redirect_malformed", Severity.ERROR,
            f"{REDIRECT} is not a valid URL ({why})",
            "Google refuses to start sign-in when the redirect URI is not an absolute http(s) URL.",
            ctx.set_fix(REDIRECT, _suggested(ctx, None), text="Set the full callback URL of the backend."),
            (REDIRECT,),
        )]
    findings: list[Finding] = []
    if ctx.production and parts.scheme != "https":
        findings.append(Finding(
            "oauth.redirect_not_https", Severity.ERROR,
            f"{REDIRECT} uses http:// in production",
            "Google only accepts http redirect URIs for localhost; a production client needs https, and the "
            "authorization code would otherwise travel in clear text.",
            ctx.set_fix(REDIRECT, _suggested(ctx, uri), text="Use the https URL (and register it in the Console)."),
            (REDIRECT,), assumes=("ENVIRONMENT",),
        ))
    if parts.path.endswith("/"):
        findings.append(Finding(
            "oauth.redirect_trailing_slash", Severity.ERROR,
            f"{REDIRECT} ends with a slash",
            "Google matches the redirect URI exactly: with a trailing slash it no longer equals the registered "
            "URI and sign-in fails with redirect_uri_mismatch.",
            ctx.set_fix(REDIRECT, _suggested(ctx, uri), text="Remove the trailing slash."),
            (REDIRECT,),
        ))
    if parts.fragment or "#" in uri:
        findings.append(Finding(
            "oauth.redirect_malformed", Severity.ERROR,
            f"{REDIRECT} contains a #fragment",
            "Google rejects redirect URIs with a fragment.",
            ctx.set_fix(REDIRECT, _suggested(ctx, uri), text="Remove the part from # on."),
            (REDIRECT,),
        ))
    path = parts.path.rstrip("/")
    if path != CALLBACK_PATH:
        findings.append(Finding(
            "oauth.redirect_path", Severity.WARNING,
            f"{REDIRECT} does not end in {CALLBACK_PATH}",
            f"The backend handles Google's callback at {CALLBACK_PATH}; another path reaches no handler "
            "unless a proxy rewrites it.",
            ctx.set_fix(REDIRECT, _suggested(ctx, uri), text="Point the redirect URI at the callback route."),
            (REDIRECT,),
        ))
    frontend = _frontend_origin(ctx)
    if ctx.production and frontend and (parts.hostname or "").lower() != frontend[1]:
        findings.append(Finding(
            "oauth.redirect_host_mismatch", Severity.ERROR,
            f"{REDIRECT} points at {parts.hostname}, but {FRONTEND} is on {frontend[1]}",
            "After sign-in Google sends the browser to the redirect URI; on another host the session cookie is "
            "set for the wrong site (or the callback reaches another deployment), so the login does not stick.",
            ctx.set_fix(REDIRECT, _suggested(ctx, uri), text="Use the app's own host for the callback."),
            (REDIRECT, FRONTEND), assumes=("ENVIRONMENT",),
        ))
    return findings


def _frontend_origin(ctx: Context) -> tuple[str, str] | None:
    """(scheme://host[:port], lower-case host) of FRONTEND_URL, or None when unset or unreadable."""
    raw = ctx.get(FRONTEND)
    if not raw or not raw.strip():
        return None
    parsed = parse_url(cleaned(raw))
    if parsed.error or parsed.parts is None or not parsed.parts.hostname:
        return None
    return f"{parsed.parts.scheme}://{parsed.parts.netloc}", parsed.parts.hostname.lower()


def _suggested(ctx: Context, uri: str | None) -> str:
    """The redirect URI the app most likely needs: FRONTEND_URL's origin (https in production) plus the
    callback path."""
    frontend = _frontend_origin(ctx)
    origin = frontend[0] if frontend else None
    if origin is None and uri:
        parts = parse_url(uri).parts
        origin = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else None
    if origin is None:
        return f"https://<your-app-host>{CALLBACK_PATH}"
    if ctx.production and origin.startswith("http://"):
        origin = "https://" + origin[len("http://"):]
    return origin.rstrip("/") + CALLBACK_PATH
