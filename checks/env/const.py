"""Constants the `env` check's Check class and rules share; no imports, since `doctor list` loads it."""

from __future__ import annotations

# name -> (stops the app from booting?, what it is for, example value for the fix)
REQUIRED: dict[str, tuple[bool, str, str]] = {
    "ENVIRONMENT": (False, "selects development, staging or production behaviour", "development"),
    "SECRET_KEY": (True, "signs every JWT; the app cannot start without it", "<64-char-random>"),
    "FRONTEND_URL": (False, "is the CORS origin and the base of links in e-mails", "http://localhost:3000"),
    "DATABASE_URL": (True, "is the PostgreSQL database; the app cannot start without it",
                     "postgresql://<user>:<password>@<host>:5432/<db>"),
    "ENCRYPTION_KEY": (True, "is the Fernet key for PII; the app cannot start or read data without it",
                       "<44-char-fernet-key>"),
    "REDIS_URL": (False, "is the session and cache store", "redis://localhost:6379/0"),
    "MAIL_USERNAME": (False, "is the SMTP login (FastAPI-Mail)", "<smtp-username>"),
    "MAIL_PASSWORD": (False, "is the SMTP password (FastAPI-Mail)", "<app-specific-password>"),
    "MAIL_FROM": (False, "is the sender address (FastAPI-Mail)", "<noreply@your-domain>"),
    "MAIL_PORT": (False, "is the SMTP port (FastAPI-Mail)", "587"),
    "MAIL_SERVER": (False, "is the SMTP host (FastAPI-Mail)", "smtp.gmail.com"),
    "MAIL_STARTTLS": (False, "is a required FastAPI-Mail setting (True for port 587)", "True"),
    "MAIL_SSL_TLS": (False, "is a required FastAPI-Mail setting (True only for port 465)", "False"),
    "GOOGLE_CLIENT_ID": (False, "is the Google OAuth client", "<client-id>.apps.googleusercontent.com"),
    "GOOGLE_CLIENT_SECRET": (False, "authenticates the Google OAuth client", "<secret>"),
    "GOOGLE_REDIRECT_URI": (False, "is where Google sends users back after sign-in",
                            "http://localhost:3000/api/auth/google/callback"),
    "AWS_ACCESS_KEY_ID": (False, "is the S3 access key (delivery proofs)", "<access-key>"),
    "AWS_SECRET_ACCESS_KEY": (False, "signs S3 requests (delivery proofs)", "<secret-key>"),
    "AWS_S3_BUCKET": (False, "is the bucket for delivery proofs", "<bucket-name>"),
    "AWS_REGION": (False, "is the S3 bucket's region", "us-east-1"),
    "STRIPE_SECRET_KEY": (False, "authenticates payments with Stripe", "<sk_test_or_sk_live_key>"),
    "STRIPE_PUBLISHABLE_KEY": (False, "is the Stripe key the front end uses", "<pk_test_or_pk_live_key>"),
    "STRIPE_WEBHOOK_SECRET": (False, "verifies Stripe webhook signatures", "<whsec_secret>"),
}
TWILIO_VARS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER")
EXPIRY_VARS = ("ACCESS_TOKEN_EXPIRE_MINUTES", "REMEMBER_ME_EXPIRE_MINUTES")
BOOL_VARS = ("RATE_LIMIT_ENABLED", "MAIL_STARTTLS", "MAIL_SSL_TLS")
