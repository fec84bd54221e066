"""`onstream media copy --from URL --to URL`: local directory → bucket → local directory."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tests.support.s3 import AWS_ENV, S3Server

from onstream.media.store import LocalMediaStore


def media_cli(s3: S3Server, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONSTREAM_", "AWS_"))}
    env.update(AWS_ENV, ONSTREAM_S3_ENDPOINT_URL=s3.endpoint)
    return subprocess.run(
        [sys.executable, "-m", "onstream", "media", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def files_of(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.rglob("*") if path.is_file()}


def fill(directory: Path) -> dict[str, bytes]:
    store = LocalMediaStore(directory)

    async def put(data: bytes) -> str:
        async def chunks() -> AsyncIterator[bytes]:
            yield data

        return await store.put(chunks())

    contents = [os.urandom(n) for n in (0, 1, 70_000, 9_000_000)]
    return {asyncio.run(put(data)): data for data in contents}


def test_round_trip_through_a_bucket(s3: S3Server, bucket: str, tmp_path: Path) -> None:
    blobs = fill(tmp_path / "media")
    url = f"s3://{bucket}/onstream/media"

    up = media_cli(s3, "copy", "--from", "media", "--to", url, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    assert up.stderr.splitlines()[-1].strip().startswith("4/4 objects")
    assert "copied 4 media objects (9.1 MB)" in up.stdout
    assert s3.objects(bucket) == {f"onstream/media/{key}": data for key, data in blobs.items()}

    again = media_cli(s3, "copy", "--from", "media", "--to", url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "copied 0 media objects (0.0 MB)" in again.stdout
    assert "4 were already there" in again.stdout

    back = tmp_path / "restored"
    down = media_cli(s3, "copy", "--from", url, "--to", f"file://{back}", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert files_of(back) == blobs
    assert {path.parent.name for path in back.rglob("*") if path.is_file()} == {
        key[0] for key in blobs
    }


def test_missing_bucket_is_one_line(s3: S3Server, tmp_path: Path) -> None:
    fill(tmp_path / "media")
    result = media_cli(s3, "copy", "--from", "media", "--to", "s3://absent/x", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"onstream: the bucket 'absent' does not exist (s3://absent/x at {s3.endpoint})"
    ]


def test_refused_credentials_are_one_line(tmp_path: Path) -> None:
    refusing = S3Server(
        log_path=tmp_path / "moto.log", extra_env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    ).start()
    try:
        result = media_cli(refusing, "copy", "--from", "s3://b", "--to", "here", cwd=tmp_path)
    finally:
        refusing.stop()
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("onstream: S3 refused the credentials for s3://b at ")
    assert not (tmp_path / "here").exists()


def test_a_url_of_no_known_kind_is_one_line(s3: S3Server, tmp_path: Path) -> None:
    result = media_cli(s3, "copy", "--from", "ftp://x/y", "--to", "here", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "onstream: media store URL 'ftp://x/y' is neither s3://bucket/prefix, file:///path "
        "nor a directory"
    ]
