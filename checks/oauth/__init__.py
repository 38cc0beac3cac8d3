"""The oauth check: see static.py for the offline rules."""

from __future__ import annotations

from checks.oauth.const import CLIENT_ID, CREDENTIALS_PATH, FRONTEND, REDIRECT, SECRET
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_CREDENTIALS_DOCS = "Secrets Management Guide › Environment Variables › OAuth (Google)"
_CONSOLE = f"Google Cloud Console > {CREDENTIALS_PATH}"


class OAuthCheck(Check):
    """Google OAuth: client credentials and the redirect URI Google must match exactly."""

    id = "oauth"
    title = "Google OAuth"
    vars = (CLIENT_ID, SECRET, REDIRECT, FRONTEND, "DOCTOR_GOOGLE_TOKEN_URL", "DOCTOR_GOOGLE_AUTH_URL")
    network = True
    boot_critical = False
    order = 80
    docs = "Secrets Management Guide › Troubleshooting › OAuth Redirect Mismatch"
    catalog = (
        FindingSpec(
            "placeholder", Severity.ERROR,
            "A Google OAuth variable still holds the setup guide's example value, so Google sign-in cannot work.",
            f"Copy the real client id, secret and redirect URI from {_CONSOLE}.",
            causes="The guide's <client-id>, <secret> or your-app.herokuapp.com lines copied without replacing them.",
            docs=_CREDENTIALS_DOCS, vars=(CLIENT_ID, SECRET, REDIRECT)),
        FindingSpec(
            "stray_characters", Severity.ERROR,
            "A value has whitespace, quotes or invisible characters that are sent to Google as part of it (an error "
            "for the client id and redirect URI, a warning for the secret).",
            "Set the same value without the extra characters.",
            causes="A trailing newline or spaces from a copy, quotes typed into heroku config:set, a zero-width "
                   "space from a document.",
            vars=(CLIENT_ID, SECRET, REDIRECT)),
        FindingSpec(
            "client_id_shape", Severity.ERROR,
            "GOOGLE_CLIENT_ID is not shaped like a Google OAuth client id, so Google answers 'client not found'.",
            f"Copy the Client ID (…apps.googleusercontent.com) from {_CONSOLE}.",
            causes="Only the project number, the client's name, or another value pasted in place of the client id.",
            docs=_CREDENTIALS_DOCS, vars=(CLIENT_ID,)),
        FindingSpec(
            "client_secret_shape", Severity.WARNING,
            "GOOGLE_CLIENT_SECRET does not look like a Google client secret; the token exchange will probably fail.",
            f"Copy the Client secret (GOCSPX-…) from {_CONSOLE}.",
            causes="The client id pasted into the secret slot, a truncated copy, or a made-up value.",
            docs=_CREDENTIALS_DOCS, vars=(SECRET,)),
        FindingSpec(
            "redirect_malformed", Severity.ERROR,
            "GOOGLE_REDIRECT_URI is not an absolute http(s) URL without a #fragment, so Google refuses to start "
            "sign-in.",
            "Set the full callback URL, e.g. https://your-app.herokuapp.com/api/auth/google/callback.",
            causes="A missing scheme, a typo in the host or port, or a #fragment left in the URL.",
            vars=(REDIRECT,)),
        FindingSpec(
            "redirect_not_https", Severity.ERROR,
            "GOOGLE_REDIRECT_URI uses http:// in production: Google rejects it and the authorization code would "
            "travel in clear text.",
            "Use the https:// callback URL and register it in the Console.",
            causes="The development value (http://localhost…) or an http:// URL carried over to production.",
            vars=(REDIRECT,)),
        FindingSpec(
            "redirect_trailing_slash", Severity.ERROR,
            "GOOGLE_REDIRECT_URI ends with a slash, so it no longer equals the registered URI (only info when "
            "Google confirms it is registered that way).",
            "Remove the trailing slash (or register the URI exactly as set).",
            causes="A URL copied from a browser's address bar or written by hand with a closing slash.",
            vars=(REDIRECT,)),
        FindingSpec(
            "redirect_path", Severity.WARNING,
            "GOOGLE_REDIRECT_URI does not end in /api/auth/google/callback, the route the backend handles.",
            "Point the redirect URI at /api/auth/google/callback on the app's host.",
            causes="The frontend's URL or an old callback route used instead of the backend's callback.",
            vars=(REDIRECT,)),
        FindingSpec(
            "redirect_host_mismatch", Severity.ERROR,
            "In production GOOGLE_REDIRECT_URI points at another host than FRONTEND_URL, so the login does not "
            "stick (the session cookie is set for the wrong site).",
            "Use the app's own host (FRONTEND_URL's) for the callback and register that URI.",
            causes="The staging app's URI copied into production, or a renamed Heroku app.",
            vars=(REDIRECT, FRONTEND)),
        FindingSpec(
            "client_secret_wrong", Severity.ERROR,
            "Google rejected GOOGLE_CLIENT_SECRET for this client id: every sign-in fails at the code exchange.",
            f"Copy the Client secret of this client from {_CONSOLE}, or add a new secret there.",
            causes="A secret from another client or project, or one that was reset in the Console.",
            docs=_CREDENTIALS_DOCS, vars=(SECRET, CLIENT_ID)),
        FindingSpec(
            "client_not_found", Severity.ERROR,
            "Google does not know GOOGLE_CLIENT_ID ('The OAuth client was not found'): nobody can sign in with "
            "Google.",
            f"Copy the Client ID from {_CONSOLE}.",
            causes="A mistyped id, a client in another Google account's project, or a deleted client.",
            docs=_CREDENTIALS_DOCS, vars=(CLIENT_ID,)),
        FindingSpec(
            "client_deleted", Severity.ERROR,
            "The OAuth client in GOOGLE_CLIENT_ID was deleted in the Cloud Console (deleted_client).",
            "Restore the client within 30 days from the Credentials page, or create a new one and set its id and "
            "secret.",
            causes="Someone deleted the client, or the project was cleaned up.",
            docs=_CREDENTIALS_DOCS, vars=(CLIENT_ID, SECRET)),
        FindingSpec(
            "redirect_uri_not_registered", Severity.ERROR,
            "Google answered redirect_uri_mismatch: GOOGLE_REDIRECT_URI is not an Authorized redirect URI of this "
            "client, so every sign-in stops with Error 400.",
            f"Add exactly this URI under Authorized redirect URIs in {_CONSOLE}.",
            causes="A new domain or Heroku app name, a scheme or port difference, or a URI registered on another "
                   "client.",
            vars=(REDIRECT, CLIENT_ID)),
        FindingSpec(
            "inconclusive", Severity.INFO,
            "Google's answers neither confirmed nor refuted the client setup; this is not a confirmation that "
            "sign-in works.",
            "Sign in with Google once after deploying, and compare the client in the Console.",
            causes="A proxy, captive portal or wrong DOCTOR_GOOGLE_* override answering instead of Google, or a "
                   "change in Google's answers.",
            vars=(CLIENT_ID, REDIRECT)),
        FindingSpec(
            "not_the_service", Severity.WARNING,
            "Something other than Google answered: the token endpoint's answer was not Google's JSON error, or an "
            "answer was over the size cap. The client was not checked, and sign-in reaches the same answer.",
            "Check any DOCTOR_GOOGLE_TOKEN_URL / DOCTOR_GOOGLE_AUTH_URL override and any proxy in between.",
            causes="A captive portal or proxy answering in Google's place, or a DOCTOR_GOOGLE_* override that is "
                   "not Google.", vars=(CLIENT_ID,)),
        FindingSpec(
            "timeout", Severity.ERROR,
            "Google's OAuth endpoints did not answer in time: sign-in would hang from this host.",
            "Check outbound HTTPS from this host, then run the doctor again (with a longer --timeout).",
            causes="A firewall that drops packets, a slow network, or a DOCTOR_GOOGLE_* override pointing at a host "
                   "that never answers.",
            vars=(CLIENT_ID,)),
        FindingSpec(
            "unreachable", Severity.ERROR,
            "Google's OAuth endpoints could not be reached: sign-in would fail from this host.",
            "Check outbound HTTPS and DNS from this host, and any DOCTOR_GOOGLE_* override.",
            causes="No network or DNS, a proxy in the way, or a wrong DOCTOR_GOOGLE_* override.",
            vars=(CLIENT_ID,)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Static checks always; the endpoint probes when online and the client id is usable."""
        from checks.common import cleaned
        from checks.oauth.static import merge, static_findings
        from doctor import import_in_thread

        ctx.require(CLIENT_ID, SECRET, REDIRECT)
        findings = static_findings(ctx)
        if ctx.offline or any(f.id in ("oauth.client_id_shape", "oauth.placeholder") for f in findings):
            return findings
        await import_in_thread("httpx")
        from checks.oauth.probe import probe

        live, accepted = await probe(ctx, cleaned(ctx.get(CLIENT_ID) or ""), cleaned(ctx.get(SECRET) or ""),
                                     cleaned(ctx.get(REDIRECT) or ""))
        return merge(findings, live, accepted)
