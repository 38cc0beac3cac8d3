"""The guide's "If exposed" steps for one secret: rotate it first (with what rotating costs), then
rewrite history and force-push. Commands hold placeholders a shell refuses, never a value."""

from __future__ import annotations

import shlex

from checks.fernet.const import GENERATOR as FERNET_GENERATOR
from checks.secret_key.const import GENERATOR as SECRET_KEY_GENERATOR
from doctor import Context, Fix
from doctor.context import destructive_note

_REWRITE_NOTE = "rewrites every branch and tag on the remote; every clone must re-clone or hard-reset"


def rotate_fix(ctx: Context, name: str) -> Fix:
    """How to replace `name`'s exposed value, and what replacing it does to the running app."""
    flag = ctx.heroku_app_flag()
    if name == "SECRET_KEY":
        return ctx.generate_fix(name, SECRET_KEY_GENERATOR, text="Rotate SECRET_KEY first.",
                                consequence="every user is logged out (their tokens no longer verify)")
    if name == "ENCRYPTION_KEY":
        return ctx.generate_fix(
            "ENCRYPTION_KEY_NEW", FERNET_GENERATOR,
            text="Rotate ENCRYPTION_KEY first, with the guide's procedure, never by replacing it: a new key cannot "
                 "read the data the old one encrypted. Set ENCRYPTION_KEY_NEW, re-encrypt every encrypted column "
                 "(scripts/rotate_encryption_key.py, in a maintenance window), then set ENCRYPTION_KEY to the new "
                 "key and unset ENCRYPTION_KEY_NEW.")
    if name == "ENCRYPTION_KEY_NEW":
        return ctx.generate_fix(
            name, FERNET_GENERATOR,
            text="A rotation is under way with an exposed new key: make another new key and re-run the "
                 "re-encryption with it before promoting it (rows already moved to the exposed key must move again).")
    if name == "DATABASE_URL":
        text = ("Rotate the database password first: every connection using the old one stops working, so the "
                "app restarts with the new DATABASE_URL.")
        if ctx.uses_heroku_config:
            return Fix(text, (f"heroku pg:credentials:rotate DATABASE_URL{flag}"
                              + destructive_note("every open connection is closed"),))
        return Fix(text + " Self-hosted: ALTER ROLE … WITH PASSWORD for the app's role, then put the new password "
                          "in DATABASE_URL (percent-encoded).")
    if name == "REDIS_URL":
        text = "Rotate the Redis password first: clients using the old one are refused until they reconnect."
        if ctx.uses_heroku_config:
            return Fix(text, (f"heroku redis:credentials REDIS_URL --reset{flag}"
                              + destructive_note("clients using the old password are disconnected"),))
        return Fix(text + " Self-hosted: change requirepass (or the ACL user's password), then REDIS_URL.")
    where = _CONSOLES.get(name, "the issuing service")
    fix = Fix(f"Rotate {name} first: issue a new one in {where}, set it, and revoke the old one once the app runs "
              "with the new one.")
    if name == "AWS_SECRET_ACCESS_KEY":
        return fix + ctx.set_many_fix({"AWS_ACCESS_KEY_ID": "<new access key id>",
                                       "AWS_SECRET_ACCESS_KEY": "<new secret access key>"})
    if name == "AWS_SESSION_TOKEN":
        return fix
    return fix + ctx.set_fix(name, "<new value>")


_CONSOLES = {
    "STRIPE_SECRET_KEY": "the Stripe Dashboard (Developers › API keys › Roll key; the old key can expire in 24 h)",
    "STRIPE_WEBHOOK_SECRET": "the Stripe Dashboard (Developers › Webhooks › the endpoint › Roll secret)",
    "AWS_SECRET_ACCESS_KEY": "IAM (a second access key for the same user: `aws iam create-access-key`; deactivate "
                             "the old one after 24 h)",
    "AWS_SESSION_TOKEN": "IAM (revoke the role's active sessions; temporary credentials also expire on their own)",
    "MAIL_PASSWORD": "the mail account (a Gmail app password: revoke it at myaccount.google.com/apppasswords)",
    "GOOGLE_CLIENT_SECRET": "the Google Cloud console (Credentials › the OAuth client › Add secret, then disable the "
                            "old one)",
    "TWILIO_AUTH_TOKEN": "the Twilio Console (API keys & tokens › request a secondary token, then promote it)",
}


def rewrite_fix(paths: tuple[str, ...] = ()) -> Fix:
    """Rewrite history without the value (or without the files at `paths`), then force-push."""
    if paths:
        remove = "git filter-repo " + " ".join(f"--path {shlex.quote(p)}" for p in paths) + " --invert-paths"
        how = "remove the file from every commit"
    else:
        remove = "git filter-repo --replace-text ../replacements.txt"
        how = ("put the old value on a line of ../replacements.txt (outside the repository; `bfg --replace-text` "
               "reads the same file) and replace it in every commit")
    text = (f"Then rewrite history: in a fresh clone, {how} with git filter-repo (or BFG), and force-push. "
            "Force-pushing is destructive: it rewrites every branch others have, so each clone must be re-cloned "
            "and open pull requests redone; forks and CI caches keep the old commits, which is why rotating comes "
            "first.")
    return Fix(text, (remove + destructive_note("rewrites every commit of this clone"),
                      "git push --force --all origin" + destructive_note(_REWRITE_NOTE),
                      "git push --force --tags origin"))
