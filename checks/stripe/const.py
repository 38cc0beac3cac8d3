"""The stripe check's names, shared by its offline rules, its probe and `doctor stripe-verify`."""

from __future__ import annotations

SECRET = "STRIPE_SECRET_KEY"
PUBLISHABLE = "STRIPE_PUBLISHABLE_KEY"
WEBHOOK = "STRIPE_WEBHOOK_SECRET"
KEYS_PAGE = "Stripe Dashboard > Developers > API keys"
WEBHOOKS_PAGE = "Stripe Dashboard > Developers > Webhooks"
SDK_MODULES = ("stripe", "httpx")  # imported in a worker thread, only when the probe runs
