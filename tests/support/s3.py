"""A real S3-compatible server for the tests: moto's server mode on a free port.

`S3Server` runs `moto_server` as its own process (so several `onstream serve` processes
and the test process all talk to it over HTTP, as to MinIO or AWS). Each test takes a
fresh bucket from `new_bucket`. The credentials are moto's defaults: moto accepts any key
unless started with `INITIAL_NO_AUTH_ACTION_COUNT`, which `refusing` uses to be a server
that refuses every credential.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.child_coverage import VARIABLE
from tests.support.server import free_port
from tests.support.waiting import wait_until

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
STARTUP_SECONDS = 60.0
_buckets = itertools.count(1)


@dataclass
class S3Server:
    """One `moto_server` process."""

    log_path: Path
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        moto_server = Path(sys.executable).with_name("moto_server")
        env = {**os.environ, **AWS_ENV, **self.extra_env}
        env.pop(VARIABLE, None)  # moto is not the project's code: coverage has nothing to measure
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(moto_server), "-H", "127.0.0.1", "-p", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self.answers, "moto_server to answer", STARTUP_SECONDS)
        except AssertionError:
            raise RuntimeError(f"moto_server did not start within {STARTUP_SECONDS}s") from None
        return self

    def answers(self) -> bool:
        """Whether the server answers at all; one that exited never will."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"moto_server exited:\n{self.log_path.read_text()}")
        try:
            httpx.get(f"{self.endpoint}/moto-api/", timeout=1)
        except httpx.TransportError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> Any:
        """A boto3 client, to look into buckets behind the server's back."""
        return boto3.session.Session(
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS_ENV["AWS_REGION"],
        ).client("s3", endpoint_url=self.endpoint)

    def new_bucket(self) -> str:
        """A fresh, empty bucket."""
        name = f"media-{next(_buckets)}-{os.getpid()}"
        self.client().create_bucket(Bucket=name)
        return name

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in the bucket, by name."""
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }

    def env(self, url: str) -> dict[str, str]:
        """What an Onstream process needs to keep its media at `url` (`s3://bucket/prefix`)."""
        return {**AWS_ENV, "ONSTREAM_S3_ENDPOINT_URL": self.endpoint, "ONSTREAM_MEDIA_URL": url}


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One `moto_server` for the session; the test process gets its credentials too (the
    in-process application and the stores built here read them, as boto3 does, from the
    environment). Conftests that need it import this fixture and `bucket`."""
    server = S3Server(log_path=tmp_path_factory.mktemp("s3") / "moto.log").start()
    saved = {name: os.environ.get(name) for name in AWS_ENV}
    os.environ.update(AWS_ENV)
    yield server
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server.stop()


@pytest.fixture
def bucket(s3: S3Server) -> str:
    """A fresh, empty bucket on the session's server."""
    return s3.new_bucket()
