"""An in-process moto S3/STS/IAM server on loopback with IAM authentication enforced.

`MotoAws()` is a context manager: it starts `moto.server.ThreadedMotoServer` on 127.0.0.1, creates
(while moto still accepts unauthenticated calls) IAM users, their access keys and two buckets, then
turns authentication on, so wrong keys get InvalidClientTokenId/SignatureDoesNotMatch and a user
without an S3 policy gets 403, as on AWS. `moto_aws` is the session-scoped pytest fixture.

moto reads INITIAL_NO_AUTH_ACTION_COUNT from the environment when `moto.settings` is first imported,
which may have happened already in this process; the server is in-process, so the fixture sets
`moto.settings.INITIAL_NO_AUTH_ACTION_COUNT` directly (unlimited during setup, 0 afterwards) and
restores it on exit. Known moto differences from AWS: HeadBucket is authorised as `s3:HeadBucket`
(AWS uses s3:ListBucket), so the app user's policy grants both; HeadBucket on a bucket in another
region answers 200 with `x-amz-bucket-region` instead of a 301 redirect.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.helpers import free_port

DEV_BUCKET = "chaski-dev-proofs"  # the bucket names of HEALTHY_DEV / HEALTHY_PROD
BUCKET = "chaski-production-proofs"
EU_BUCKET = "chaski-eu-proofs"
APP_ACTIONS = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
_BOOTSTRAP = {"aws_access_key_id": "AKIAMOTOBOOTSTRAP000", "aws_secret_access_key": "b" * 40}


@dataclass(frozen=True)
class Keys:
    """An IAM user's access key pair."""

    user: str
    key_id: str
    secret: str


@dataclass
class MotoAws:
    """A running moto server: `url`, the users' keys and helpers to inspect buckets."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    users: dict[str, Keys] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Base URL to use as AWS_ENDPOINT_URL."""
        return f"http://{self.host}:{self.port}"

    def client(self, service: str, keys: Keys | None = None, region: str = "us-east-1") -> Any:
        """A boto3 client for setup and inspection (admin keys once authentication is on)."""
        import boto3

        creds = ({"aws_access_key_id": keys.key_id, "aws_secret_access_key": keys.secret} if keys else _BOOTSTRAP)
        return boto3.session.Session().client(service, region_name=region, endpoint_url=self.url, **creds)

    def env(self, user: str = "app", bucket: str = BUCKET, region: str = "us-east-1", **extra: str) -> dict[str, str]:
        """The four S3 variables for `user`, plus AWS_ENDPOINT_URL pointing here."""
        keys = self.users[user]
        return {"AWS_ACCESS_KEY_ID": keys.key_id, "AWS_SECRET_ACCESS_KEY": keys.secret, "AWS_S3_BUCKET": bucket,
                "AWS_REGION": region, "AWS_ENDPOINT_URL": self.url, **extra}

    def object_keys(self, bucket: str = BUCKET) -> list[str]:
        """Every key in `bucket`, listed with the admin user's keys."""
        reply = self.client("s3", self.users["admin"]).list_objects_v2(Bucket=bucket)
        return [item["Key"] for item in reply.get("Contents", [])]

    def __enter__(self) -> MotoAws:
        from moto import settings
        from moto.core.authorization import ActionAuthenticatorMixin
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._previous = settings.INITIAL_NO_AUTH_ACTION_COUNT
        settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        try:
            self._populate()
        except BaseException:
            self.__exit__()
            raise
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0
        return self

    def _populate(self) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.create_bucket(Bucket=DEV_BUCKET)
        self.client("s3", region="eu-west-1").create_bucket(
            Bucket=EU_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket=BUCKET, Key="proofs/existing.jpg", Body=b"proof")
        resources = [f"arn:aws:s3:::{b}{suffix}" for b in (BUCKET, DEV_BUCKET, EU_BUCKET) for suffix in ("", "/*")]
        policies = {
            "admin": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            "app": [{"Effect": "Allow", "Action": APP_ACTIONS, "Resource": resources},
                    {"Effect": "Allow", "Action": "s3:HeadBucket", "Resource": "*"}],
            "reader": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject", "s3:HeadBucket"],
                        "Resource": resources}],
            "headonly": [{"Effect": "Allow", "Action": "s3:HeadBucket", "Resource": "*"}],
            "nos3": [],
        }
        iam = self.client("iam")
        for user, statements in policies.items():
            iam.create_user(UserName=user)
            if statements:
                document = json.dumps({"Version": "2012-10-17", "Statement": statements})
                iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=document)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            self.users[user] = Keys(user, key["AccessKeyId"], key["SecretAccessKey"])

    def __exit__(self, *exc: object) -> None:
        from moto import settings

        settings.INITIAL_NO_AUTH_ACTION_COUNT = self._previous
        self._server.stop()


@pytest.fixture(scope="session")
def moto_aws() -> Iterator[MotoAws]:
    """One moto server for the whole session (users: admin, app, reader, headonly, nos3)."""
    with MotoAws() as aws:
        yield aws
