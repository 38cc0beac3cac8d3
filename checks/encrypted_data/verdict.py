"""What the sampled values say about the keys: the value-level findings of `encrypted_data`.

Counts are over every value examined in every column (the app decrypts all of them with the same
key), each finding naming its share of the sample and the columns behind it:
- no value decrypts with ENCRYPTION_KEY or ENCRYPTION_KEY_NEW, yet tokens exist: `wrong_key`
  (critical: the app raises InvalidToken on every read); some do not: `undecryptable` (error);
- values under ENCRYPTION_KEY_NEW beside values under ENCRYPTION_KEY: `rotation_incomplete`; all
  under the new key: `rotation_not_promoted` (both errors naming both variables);
- `damaged` (token-shaped but cut short or altered) and `plaintext` (no token at all): errors;
- token timestamps: more than a minute ahead (`future_tokens`, warning), and, outside a rotation,
  older than a year under ENCRYPTION_KEY (`old_tokens`, info: the guide rotates annually);
- nothing wrong: `readable` (info) with the counts. Never a value, a ciphertext or a plaintext.
"""

from __future__ import annotations

import time

from checks.encrypted_data import wording as w
from checks.encrypted_data.const import CLOCK_SKEW_S, CURRENT, NEW, ROTATE_SCRIPT, VAR, YEAR_S
from checks.encrypted_data.tally import ColumnSample, Kind, Tally
from checks.fernet.const import GENERATOR
from doctor import Context, Finding, Fix, Severity
from doctor.context import destructive_note

_PROBLEMS = (Kind.NEW, Kind.FOREIGN, Kind.DAMAGED, Kind.PLAIN)
_TOKENS = (Kind.CURRENT, Kind.NEW, Kind.FOREIGN)


def value_findings(ctx: Context, samples: list[ColumnSample], rotating: bool, skew_s: float) -> list[Finding]:
    """Every value-level finding for the sampled columns (`rotating`: ENCRYPTION_KEY_NEW is a usable key)."""
    sampled = [s for s in samples if s.state == "sampled" and s.tally.examined]
    total = Tally()
    for sample in sampled:
        total += sample.tally
    n = total.examined
    if not n:
        return []
    count = total.counts
    keys = (CURRENT, NEW) if rotating else (CURRENT,)
    summary = w.sampled_summary(sampled)
    out: list[Finding] = []
    if count[Kind.FOREIGN] and not count[Kind.CURRENT] and not count[Kind.NEW]:
        out.append(_wrong_key(ctx, sampled, total))
    elif count[Kind.FOREIGN]:
        out.append(Finding(
            "encrypted_data.undecryptable", Severity.ERROR,
            f"{w.share(count[Kind.FOREIGN], n)} "
            + (f"decrypt with neither {CURRENT} nor {NEW}" if rotating else f"do not decrypt with {CURRENT}"),
            f"They are well-formed Fernet tokens made under some other key ({w.dated(total, Kind.FOREIGN)}); the app "
            f"raises InvalidToken on those rows while the rest decrypt. By column: "
            f"{w.by_column(sampled, Kind.FOREIGN)}.",
            Fix(f"Find the key they were made with (password manager, offline backup, the configuration of the "
                f"environment they were copied from) and re-encrypt those rows under {CURRENT} with "
                f"MultiFernet([Fernet({CURRENT}), Fernet(<that key>)]).rotate(token), after a backup; without that "
                "key they are lost and the users must enter them again."),
            keys))
    if rotating and count[Kind.NEW]:
        out.append(_rotation(ctx, sampled, total))
    if count[Kind.DAMAGED]:
        out.append(Finding(
            "encrypted_data.damaged", Severity.ERROR,
            f"{w.share(count[Kind.DAMAGED], n)} start like Fernet tokens but are cut short or altered",
            f"No key can decrypt them, so the app raises InvalidToken on those rows. By column: "
            f"{w.by_column(sampled, Kind.DAMAGED)}.",
            Fix("Restore those values from a backup taken before the damage, make sure the column holds whole tokens "
                "(text, or a varchar of at least 4/3 × the plaintext + 100 characters), and find what wrote them.",
                (f"heroku pg:backups{ctx.heroku_app_flag()}",) if ctx.uses_heroku_config else ()),
            (VAR,)))
    if count[Kind.PLAIN]:
        out.append(Finding(
            "encrypted_data.plaintext", Severity.ERROR,
            f"{w.share(count[Kind.PLAIN], n)} are not Fernet tokens: stored unencrypted in columns meant to be "
            "encrypted",
            "The app's decrypt raises InvalidToken on them, and the data sits in clear in the database and in every "
            f"backup of it. By column: {w.by_column(sampled, Kind.PLAIN)}.",
            Fix("Find the code path that wrote them without EncryptionService (a raw SQL insert, an admin tool, an "
                f"import or a migration) and fix it; then, after a backup, encrypt the existing rows with "
                f"Fernet({CURRENT}).encrypt(value.encode()) for every value that does not start with gAAAAA. If a "
                f"column is not meant to be encrypted, remove it from {VAR}."),
            (VAR,)))
    out += _timestamps(ctx, total, rotating, skew_s)
    if not any(count[k] for k in _PROBLEMS):
        note = f" None is under {NEW} yet: the re-encryption has not started." if rotating else ""
        out.insert(0, Finding(
            "encrypted_data.readable", Severity.INFO,
            f"All {n} sampled values in {w.plural(len(sampled), 'column')} decrypt with {CURRENT}", note.strip(),
            None, keys))
    if out:  # how the sample was taken: once, in the first finding
        out[0].detail = f"{out[0].detail} {summary}".strip()
    return out


def _wrong_key(ctx: Context, sampled: list[ColumnSample], total: Tally) -> Finding:
    n = total.examined
    commands = ((f"heroku releases{ctx.heroku_app_flag()}",) if ctx.uses_heroku_config else ())
    found = ctx.set_fix(CURRENT, "<the key that encrypted the data, from the password manager or backup>")
    return Finding(
        "encrypted_data.wrong_key", Severity.CRITICAL,
        f"No sampled value decrypts with {CURRENT}: {w.share(total.counts[Kind.FOREIGN], n)} are tokens under "
        "another key",
        f"The app raises cryptography.fernet.InvalidToken on every read of these columns. The tokens are well formed, "
        f"so {CURRENT} is simply not the key that made them ({w.dated(total, Kind.FOREIGN)}). By column: "
        f"{w.by_column(sampled, Kind.FOREIGN)}.",
        Fix(f"Find the key that encrypted this data in the password manager or the offline backup (or the "
            f"configuration of the environment the data came from; `heroku releases` shows when {CURRENT} was last "
            f"set) and set {CURRENT} to it. A new key does not bring the data back: data encrypted under a lost key "
            f"is unrecoverable. Check too that DATABASE_URL is this environment's database.",
            commands + found.commands),
        (CURRENT,))


def _rotation(ctx: Context, sampled: list[ColumnSample], total: Tally) -> Finding:
    n, count = total.examined, total.counts
    flag = ctx.heroku_app_flag()
    by_column = w.by_column(sampled, Kind.NEW)
    if count[Kind.CURRENT]:
        run = ((f"heroku pg:backups:capture{flag}", f"heroku run{flag} python {ROTATE_SCRIPT}")
               if ctx.uses_heroku_config else (f"python3 {ROTATE_SCRIPT}",))
        return Finding(
            "encrypted_data.rotation_incomplete", Severity.ERROR,
            f"A key rotation is half done: {w.share(count[Kind.NEW], n)} are already under {NEW}, while the app "
            f"reads with {CURRENT}",
            f"The app raises InvalidToken on every row already re-encrypted; {count[Kind.CURRENT]} of {n} are still "
            f"under {CURRENT}. The re-encryption stopped part-way (the script crashed, was interrupted, or its "
            f"one-off dyno ended). By column: {by_column}.",
            Fix(f"Resume the re-encryption (the guide's step 4) and let it finish before you promote the key. The "
                f"guide's script decrypts every row with the old key, so it would stop with InvalidToken at the first "
                f"row already done: make it use MultiFernet([Fernet({NEW}), Fernet({CURRENT})]).rotate(token), which "
                f"accepts both, then run it again in a maintenance window. Only then set {CURRENT} to the new key and "
                f"unset {NEW}; promoting now would make the rows still under the old key unreadable.", run),
            (CURRENT, NEW))
    promote = ctx.set_fix(CURRENT, f"<the value of {NEW}>")
    marked = tuple(c + destructive_note("a row still under the old key becomes unreadable") for c in promote.commands)
    return Finding(
        "encrypted_data.rotation_not_promoted", Severity.ERROR,
        f"The re-encryption looks finished, but the keys are not swapped: {w.share(count[Kind.NEW], n)} are under "
        f"{NEW}, none under {CURRENT}",
        f"The app decrypts with {CURRENT}, so it raises InvalidToken on every read of these columns until {CURRENT} "
        f"is the new key (the guide's step 5). By column: {by_column}. A sample cannot prove that every row is done: "
        "confirm the script ran to the end before you promote.",
        Fix(f"Promote the new key, then drop {NEW}, in this order (the guide's step 5); keep the old key in the "
            f"password manager until every row is known to be re-encrypted. {promote.text}".strip(), marked)
        + ctx.unset_fix(NEW),
        (CURRENT, NEW))


def _timestamps(ctx: Context, total: Tally, rotating: bool, skew_s: float) -> list[Finding]:
    now = time.time()
    tokens = [s for kind in _TOKENS for s in total.stamps.get(kind, [])]
    ahead = [s for s in tokens if s > now + CLOCK_SKEW_S]
    out = []
    if ahead:
        lead = max(ahead) - now
        if abs(skew_s) > CLOCK_SKEW_S:
            whose = (f"This machine's clock is {w.duration(abs(skew_s))} {'behind' if skew_s > 0 else 'ahead of'} "
                     "the database server's, so the fault may be this machine's.")
        else:
            whose = ("The database server's clock agrees with this machine's, so the machine that encrypted them had "
                     "its clock ahead.")
        out.append(Finding(
            "encrypted_data.future_tokens", Severity.WARNING,
            f"{w.share(len(ahead), len(tokens), 'sampled tokens')} are dated in the future, up to "
            f"{w.duration(lead)} ahead of this machine's clock",
            f"{whose} Decrypting without a TTL, as the app does, still works, but decrypt(ttl=…) rejects them, and a "
            "clock this far off also breaks token expiry, webhook signatures and S3 request signing.",
            Fix("Correct the clock of the machine that is off (enable NTP: timedatectl set-ntp true); Heroku dynos "
                "keep their own time.")))
    stamps = total.stamps.get(Kind.CURRENT, [])
    old = [s for s in stamps if s < now - YEAR_S]
    if old and not rotating:
        out.append(Finding(
            "encrypted_data.old_tokens", Severity.INFO,
            f"{w.share(len(old), len(stamps), 'tokens under ' + CURRENT)} were encrypted over a year ago, the oldest "
            f"{w.duration(now - min(old))} ago",
            f"A rotation re-encrypts every row, so {CURRENT} has been in use for at least that long; the guide rotates "
            "it annually.",
            ctx.generate_fix(NEW, GENERATOR, text=(
                f"Plan the guide's rotation: set {NEW} (the app does not read it), re-encrypt every row, then promote "
                "it.")),
            (CURRENT,)))
    return out
