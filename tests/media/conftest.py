"""A real S3-compatible server (moto's server mode) for the media store's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests.support.s3 import AWS_ENV, S3Server


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One `moto_server` for the session; the test process gets its credentials too (the
    in-process application and the stores built here read them, as boto3 does, from the
    environment)."""
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
