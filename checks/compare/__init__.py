"""The `compare` check: the guide's environment separation table over two or more sources.

It runs only under `doctor compare SOURCE SOURCE [SOURCE]...` (command.py), never in the main
run: it reads configuration files side by side, not the app's one configuration. sources.py
loads and labels the sources, identity.py says which values are the same without keeping one,
static.py turns that into findings and table.py into the guide's table.
"""

from __future__ import annotations

from checks.compare.const import GUIDE
from doctor import Check, FindingSpec, Severity

TYPE_CHECKING = False
if TYPE_CHECKING:
    from doctor import Context, Finding


class CompareCheck(Check):
    """Environments share no secret and no resource; Stripe is live only in production."""

    id = "compare"
    title = "Environment separation (doctor compare)"
    command = "compare"
    order = 300
    docs = GUIDE
    catalog = (
        FindingSpec(
            "shared_secret", Severity.ERROR,
            "Two environments hold the same value of a secret: whoever has the lesser one's secrets has both.",
            "Give each environment its own value: rotate the secret in the environment that is not production.",
            causes="A .env copied from production to set up staging or a laptop. Critical when one side is "
                   "production."),
        FindingSpec(
            "shared_database", Severity.ERROR,
            "Two environments use the same PostgreSQL database (host, port and name), whatever the login.",
            "Point the non-production environment at its own database (a separate Heroku Postgres add-on).",
            causes="DATABASE_URL copied between apps, or an add-on attached to both (heroku addons:attach).",
            vars=("DATABASE_URL",)),
        FindingSpec(
            "shared_redis", Severity.ERROR,
            "Two environments use the same Redis (host, port and database number): sessions and cache mix.",
            "Give the non-production environment its own Redis add-on.",
            causes="REDIS_URL copied between apps, or one add-on attached to both.", vars=("REDIS_URL",)),
        FindingSpec(
            "shared_bucket", Severity.ERROR,
            "Two environments write delivery proofs to the same S3 bucket.",
            "Create a bucket per environment (dev-bucket, staging-bucket, prod-bucket) and set AWS_S3_BUCKET.",
            causes="AWS_S3_BUCKET copied with the rest of a .env.", vars=("AWS_S3_BUCKET",)),
        FindingSpec(
            "bucket_named_for_other_environment", Severity.WARNING,
            "An environment's S3 bucket is named for another environment (a prod bucket in staging).",
            "Set AWS_S3_BUCKET to the bucket made for this environment.",
            causes="A copied .env, or a bucket renamed on one side only.", vars=("AWS_S3_BUCKET",)),
        FindingSpec(
            "live_stripe_outside_production", Severity.ERROR,
            "A non-production environment holds live Stripe keys: its tests charge real cards.",
            "Use the test-mode keys (sk_test_/pk_test_) outside production.",
            causes="Production's keys copied into staging or a laptop's .env.", vars=("STRIPE_SECRET_KEY",)),
        FindingSpec(
            "test_stripe_in_production", Severity.ERROR,
            "Production holds test-mode Stripe keys: no real payment goes through.",
            "Set production's live keys (sk_live_/pk_live_), both in one config:set.",
            causes="Staging's keys copied into production.", vars=("STRIPE_SECRET_KEY",)),
        FindingSpec(
            "missing_variable", Severity.INFO,
            "A variable is set in one environment and missing in another.",
            "Set it where it is missing, or remove it where it is no longer used.",
            causes="A variable added to one app and forgotten in the other. A warning for a variable the app "
                   "requires."),
        FindingSpec(
            "no_production", Severity.INFO,
            "No source is production (by its ENVIRONMENT value or its label), so no side is treated as production.",
            "Label the production source (production=prod.json) or compare it with the others.",
            causes="Comparing staging with development only, or ENVIRONMENT unset in every source."),
        FindingSpec(
            "same_environment", Severity.WARNING,
            "Two sources say they are the same environment (the same ENVIRONMENT value), so comparing them "
            "says nothing about separation.",
            "Check ENVIRONMENT in each source: one is probably a copy of the other.",
            causes="A .env copied from another environment, ENVIRONMENT included.", vars=("ENVIRONMENT",)),
    )

    async def run(self, ctx: Context) -> list[Finding]:
        """Never run by the main command (the registry leaves command checks out); see command.py."""
        from doctor import SkipCheck

        raise SkipCheck("runs only under `doctor compare SOURCE SOURCE`")
