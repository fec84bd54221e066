"""A real S3-compatible server (moto's server mode): `s3` and a fresh `bucket` per test."""

from tests.support.s3 import bucket, s3

__all__ = ["bucket", "s3"]
