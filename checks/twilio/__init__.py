"""The twilio check: see static.py for the offline rules and probe.py for the live half."""

from __future__ import annotations

from checks.twilio.const import ALL, PHONE, SID, TOKEN
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding


class TwilioCheck(Check):
    """Twilio is optional: unset means skipped; set means it must be complete and must work."""

    id = "twilio"
    title = "Twilio (SMS, optional)"
    vars = (*ALL, "DOCTOR_TWILIO_API_BASE")
    network = True
    boot_critical = False
    order = 110
    docs = "Secrets Management Guide › Environment Variables › SMS (Optional - Twilio)"
    catalog = (
        # static.py
        FindingSpec("placeholder", Severity.ERROR,
                    "A Twilio variable still holds the setup guide's example value, so no SMS can be sent.",
                    "Copy the real SID, Auth Token and sender number from the Twilio Console.",
                    causes="The guide's `<account-sid>`, `<auth-token>` or `+1234567890` copied into the config.",
                    vars=ALL),
        FindingSpec("stray_characters", Severity.ERROR,
                    "A Twilio value has surrounding whitespace, quotes or invisible characters that the SDK sends "
                    "as part of it, so Twilio rejects the request.",
                    "Remove the extra characters (the online check already ran with them removed).",
                    causes="A trailing newline or quotes from a copy-paste, or quotes kept by `heroku config:set`.",
                    vars=ALL),
        FindingSpec("api_key_sid_not_account_sid", Severity.ERROR,
                    "TWILIO_ACCOUNT_SID holds an API key SID (SK…), which Twilio rejects as account credentials.",
                    "Use the Account SID (AC…) from Account Info on the Twilio Console dashboard.",
                    causes="An API key created under API keys & tokens pasted instead of the account SID.",
                    vars=(SID,)),
        FindingSpec("account_sid_shape", Severity.ERROR,
                    "TWILIO_ACCOUNT_SID is not AC followed by 32 hex characters, so every Twilio request fails.",
                    "Copy the Account SID from Account Info on the Twilio Console dashboard.",
                    causes="A truncated paste, another kind of SID (PN…, MG…), or a value for a different variable.",
                    vars=(SID,)),
        FindingSpec("auth_token_shape", Severity.ERROR,
                    "TWILIO_AUTH_TOKEN is not 32 hex characters, so Twilio rejects every request (error 20003).",
                    "Copy the Auth Token from Account Info on the Twilio Console dashboard.",
                    causes="An API key secret or a test-credentials token pasted here, or a truncated paste.",
                    vars=(TOKEN,)),
        FindingSpec("phone_not_e164", Severity.ERROR,
                    "TWILIO_PHONE_NUMBER is not in E.164 form (+ country code and digits), so messages from it fail.",
                    "Write the number as + country code and number without spaces or dashes (e.g. +14155550123).",
                    causes="A number written with spaces, dashes, parentheses, a 00 prefix or no country code.",
                    vars=(PHONE,)),
        # probe.py
        FindingSpec("auth_failed", Severity.ERROR,
                    "Twilio answered 401 Authenticate: the account SID and auth token are not a working pair.",
                    "Copy the SID and Auth Token together from Account Info on the Twilio Console dashboard.",
                    causes="A rotated token, a token from another account or subaccount, or a suspended account.",
                    vars=(SID, TOKEN)),
        FindingSpec("account_suspended", Severity.ERROR,
                    "The Twilio account is suspended, so Twilio refuses to send its messages.",
                    "Resolve the account status in the Twilio Console (billing or support), or use an active account.",
                    causes="An unpaid balance, a compliance review, or a trial that ran out.",
                    vars=(SID,)),
        FindingSpec("account_closed", Severity.ERROR,
                    "The Twilio account is closed and cannot send messages; it cannot be reopened.",
                    "Point TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN at an active account.",
                    causes="The account (often an old subaccount or a test account) was closed in the Console.",
                    vars=(SID,)),
        FindingSpec("trial_account", Severity.WARNING,
                    "The Twilio account is a trial: it texts only verified numbers and prefixes every message "
                    "(a warning in production, a note elsewhere).",
                    "Upgrade the account in the Twilio Console (Billing > Upgrade) before sending SMS in production.",
                    causes="The account created at sign-up was never upgraded, or the production config uses it.",
                    vars=(SID,)),
        FindingSpec("number_not_on_account", Severity.ERROR,
                    "TWILIO_PHONE_NUMBER is not a number this Twilio account owns, so messages fail (error 21606).",
                    "Use a number listed under Phone Numbers > Manage > Active numbers in the Twilio Console.",
                    causes="A number of another account or subaccount, a released number, or a verified caller ID.",
                    vars=(PHONE, SID)),
        FindingSpec("number_not_sms_capable", Severity.ERROR,
                    "TWILIO_PHONE_NUMBER is on the account but cannot send SMS, so every message from it fails.",
                    "Buy or choose an SMS-capable number (Phone Numbers > Manage > Active numbers).",
                    causes="A voice-only number (common for some countries and toll-free numbers).",
                    vars=(PHONE,)),
        FindingSpec("timeout", Severity.ERROR,
                    "Twilio's API did not answer within the timeout; the app's SMS calls will hang the same way.",
                    "Check outbound HTTPS from this host, then run the doctor again with a longer --timeout.",
                    causes="A firewall dropping outbound HTTPS, or a DOCTOR_TWILIO_API_BASE that never answers.",
                    vars=(SID,)),
        FindingSpec("unreachable", Severity.ERROR,
                    "No connection to Twilio's API could be opened, so the account and number were not verified.",
                    "Check DNS and outbound HTTPS from this host, and any DOCTOR_TWILIO_API_BASE override.",
                    causes="DNS failure, a refused connection, a TLS failure, or an invalid DOCTOR_TWILIO_API_BASE.",
                    vars=(SID,)),
        FindingSpec("not_the_service", Severity.ERROR,
                    "Something other than Twilio's API answered (JSON that is not the account, or an answer over "
                    "the size cap): nothing was verified, and the app's SMS calls reach the same answer.",
                    "Check DOCTOR_TWILIO_API_BASE (leave it unset for https://api.twilio.com) and any proxy.",
                    causes="A captive portal or proxy answering in Twilio's place, or a DOCTOR_TWILIO_API_BASE that "
                           "is not Twilio's API.", vars=(SID,)),
        FindingSpec("api_error", Severity.ERROR,
                    "Twilio's API gave no usable answer (an HTTP error or not its JSON), so nothing was verified.",
                    "Retry in a few minutes; if it persists, check https://status.twilio.com.",
                    causes="A Twilio outage (5xx), a proxy answering in its place, or a wrong DOCTOR_TWILIO_API_BASE.",
                    vars=(SID,)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Static checks always; the API probe when online and the credentials look usable."""
        from checks.twilio.static import static_findings
        from doctor import SkipCheck, import_in_thread

        if not any(ctx.is_set(name) for name in ALL):
            raise SkipCheck("Twilio is not configured (optional)")
        ctx.require(*ALL)
        findings, clean = static_findings(ctx)
        if ctx.offline or clean is None:
            return findings
        from checks.twilio.probe import SDK_MODULES, probe

        await import_in_thread(*SDK_MODULES)
        findings += await probe(ctx, *clean)
        return findings
