"""The encrypted_data check: a bounded, read-only sample of the stored ciphertexts, tried with the keys.

static.py reads DOCTOR_ENCRYPTED_COLUMNS (also under --offline); probe.py samples each column over
psycopg 3; tally.py tells what each value is; verdict.py and coverage.py turn the counts into
findings. No value, ciphertext or plaintext is ever shown: counts, dates and column names only.
"""

from __future__ import annotations

from checks.encrypted_data.const import (
    CURRENT,
    DATABASE,
    GUIDE,
    INVALID_DOCS,
    LOST_DOCS,
    NEW,
    ROTATION_DOCS,
    SAMPLE_SIZE,
    VAR,
)
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding

_KEYS = (CURRENT, NEW)


class EncryptedDataCheck(Check):
    """The PII already stored decrypts with ENCRYPTION_KEY: no wrong key, half-done rotation or plaintext."""

    id = "encrypted_data"
    title = "Encrypted data sample (ENCRYPTION_KEY against stored values)"
    vars = (VAR, DATABASE, CURRENT, NEW)
    network = True
    depends_on = ("postgres", "fernet")
    order = 55
    docs = INVALID_DOCS
    catalog = (
        # -- the keys against the values (verdict.py) -------------------------------------------------
        FindingSpec(
            "wrong_key", Severity.CRITICAL,
            "No sampled value decrypts with ENCRYPTION_KEY: the app raises InvalidToken on every read of the data.",
            "Find the key that encrypted the data (password manager, offline backup) and set it; a new key does not "
            "bring the data back.",
            causes="ENCRYPTION_KEY replaced by a newly generated key, another environment's key, a database copied "
                   "from another environment, or DATABASE_URL pointing at the wrong database.",
            docs=f"{INVALID_DOCS}; {LOST_DOCS}", vars=(CURRENT,)),
        FindingSpec(
            "undecryptable", Severity.ERROR,
            "Some sampled values are Fernet tokens that neither key decrypts: reading those rows raises InvalidToken.",
            "Find the key they were made with and re-encrypt them under ENCRYPTION_KEY with MultiFernet.rotate.",
            causes="Rows copied from another environment, or written while a different key was set.",
            docs=f"{INVALID_DOCS}; {LOST_DOCS}", vars=(CURRENT,)),
        FindingSpec(
            "rotation_incomplete", Severity.ERROR,
            "A key rotation stopped part-way: some values are under ENCRYPTION_KEY_NEW, which the app does not read.",
            "Resume the re-encryption with MultiFernet([new, old]).rotate and finish it; only then promote the key.",
            causes="The rotation script crashed (the guide's version stops at the first row already re-encrypted), "
                   "was interrupted, or its one-off dyno ended.",
            docs=ROTATION_DOCS, vars=_KEYS),
        FindingSpec(
            "rotation_not_promoted", Severity.ERROR,
            "Every sampled value is under ENCRYPTION_KEY_NEW, but the app still decrypts with ENCRYPTION_KEY.",
            "Set ENCRYPTION_KEY to the new key, then unset ENCRYPTION_KEY_NEW (the guide's step 5).",
            causes="The re-encryption finished and step 5 of the guide's rotation was not done yet.",
            docs=ROTATION_DOCS, vars=_KEYS),
        FindingSpec(
            "damaged", Severity.ERROR,
            "Some sampled values start like Fernet tokens but are cut short or altered: no key can decrypt them.",
            "Restore them from a backup taken before the damage and fix what wrote them.",
            causes="A column too narrow for the token, an export and import that changed characters, a hand edit.",
            vars=(VAR,)),
        FindingSpec(
            "plaintext", Severity.ERROR,
            "Some values in encrypted columns are not Fernet tokens: PII stored in clear, and unreadable by the app.",
            "Route the code path that wrote them through EncryptionService, then encrypt the existing rows.",
            causes="A raw SQL insert, an admin tool, an import or a migration that bypassed EncryptionService; or "
                   "DOCTOR_ENCRYPTED_COLUMNS naming a column that is not encrypted.",
            docs=f"{GUIDE} › Secret Generation › ENCRYPTION_KEY (PII Encryption)", vars=(VAR,)),
        FindingSpec(
            "future_tokens", Severity.WARNING,
            "Some tokens are dated more than a minute in the future: a clock is wrong somewhere.",
            "Correct the clock of the machine that is off (NTP).",
            causes="The clock of the machine that encrypted them was ahead, or this machine's is behind."),
        FindingSpec(
            "old_tokens", Severity.INFO,
            "Values under ENCRYPTION_KEY were encrypted over a year ago: the key has not been rotated since.",
            "Plan the guide's annual rotation (ENCRYPTION_KEY_NEW, re-encrypt, promote).",
            causes="No rotation in the last year.", docs=ROTATION_DOCS, vars=(CURRENT,)),
        FindingSpec(
            "readable", Severity.INFO,
            "Every sampled value decrypts with ENCRYPTION_KEY: counts per column and how each was sampled.",
            "Nothing to fix.", causes="Healthy encrypted data.", vars=(CURRENT,)),
        # -- which columns could be read (static.py, coverage.py) ---------------------------------------
        FindingSpec(
            "columns_invalid", Severity.WARNING,
            "An entry in DOCTOR_ENCRYPTED_COLUMNS is not table.column or schema.table.column.",
            "Write each entry as table.column or schema.table.column, separated by commas.",
            causes="A typo, a separator other than a comma, or a name that needs double quotes.", vars=(VAR,)),
        FindingSpec(
            "column_missing", Severity.INFO,
            "A column to sample is not in the database (a warning when DOCTOR_ENCRYPTED_COLUMNS names it).",
            "Set DOCTOR_ENCRYPTED_COLUMNS to the app's encrypted columns; the finding lists likely ones.",
            causes="An app whose columns differ from the guide's, migrations not run, a table in another schema.",
            vars=(VAR,)),
        FindingSpec(
            "nothing_to_sample", Severity.INFO,
            "A column to sample has no non-null value, so there is nothing to check yet.",
            "Nothing to fix.", causes="An empty table, or an optional field nobody filled in.", vars=(VAR,)),
        FindingSpec(
            "sample_cut", Severity.INFO,
            f"The read of a column stopped at its statement_timeout before any value turned up (up to {SAMPLE_SIZE} "
            "are read).",
            "Run the check alone with a longer --timeout, or index the column's non-null values.",
            causes="A large table whose rows are mostly NULL in that column, or a slow view.", vars=(VAR,)),
        FindingSpec(
            "query_failed", Severity.ERROR,
            "The server refused the read-only SELECT of a column to sample.",
            "Grant the role in DATABASE_URL SELECT on the table, or act on the server's words.",
            causes="A role without SELECT on the table (the app's reads fail too), or row-level security.",
            vars=(VAR, DATABASE)),
        FindingSpec(
            "unreachable", Severity.ERROR,
            "The check could not connect to DATABASE_URL, so nothing was sampled.",
            "Fix what the postgres check reports (doctor --only postgres), then run this check again.",
            causes="This check run without the postgres check (--only) while the database is unreachable.",
            docs=f"{GUIDE} › Troubleshooting › Database Connection Issues", vars=(DATABASE,)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """The column list (also offline), then a read-only sample of every column tried with both keys."""
        from checks.encrypted_data.static import column_list
        from doctor import SkipCheck, import_in_thread

        ctx.require(DATABASE, CURRENT)
        listed = column_list(ctx)
        if ctx.offline or not listed.columns:
            return listed.findings
        from checks.fernet.static import reveal
        from checks.postgres.static import static_findings

        database = static_findings(ctx)
        if database.conninfo is None:
            raise SkipCheck("DATABASE_URL is not usable as it is (the postgres check says why)")
        await import_in_thread("psycopg", "cryptography.fernet")
        from checks.encrypted_data.probe import examine
        from checks.encrypted_data.tally import load_keys

        keys = load_keys(reveal(ctx, CURRENT), reveal(ctx, NEW))
        if keys is None:
            raise SkipCheck("ENCRYPTION_KEY does not load (the fernet check says why)")
        password = database.parts.password if database.parts is not None else None
        return listed.findings + await examine(ctx, database.conninfo, password, listed, keys)
