"""Playback from S3: the server relaying ranged reads, against a redirect to a presigned URL.

    .venv/bin/python -m bench.media [--mib 32] [--seeks 30]

Starts `moto_server` (an S3-compatible server) and one `onstream serve` keeping its media in
a bucket there, uploads a file of `--mib` MiB through the API, then for each way of serving
it measures a player's seeks (`--seeks` random 1 MiB `Range` reads) and one whole download:

- relayed: `GET /files/{key}/{name}` with `Range`, the server doing a ranged GetObject and
  streaming it (what Onstream does);
- redirect: what a 302 to a presigned URL would cost: the server's answer to a small
  request that does the same lookup (HEAD of the same link), plus the ranged GET straight
  from S3 with a presigned URL.

Both run on this machine, so the network between the server and S3 costs nothing here; the
figures compare the server's own overhead (a relay through Python) with none.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import httpx

from bench.servers import free_port

AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_REGION": "us-east-1",
}
MIB = 1024 * 1024


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=32)
    parser.add_argument("--seeks", type=int, default=30)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")} | AWS
    s3_port, port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    moto = subprocess.Popen(  # noqa: S603  # the venv's own moto_server
        [str(Path(sys.executable).with_name("moto_server")), "-p", str(s3_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with tempfile.TemporaryDirectory() as workdir:
        try:
            wait_for(f"{endpoint}/moto-api/")
            client = boto3.session.Session(
                aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
                region_name=AWS["AWS_REGION"],
            ).client("s3", endpoint_url=endpoint)
            client.create_bucket(Bucket="bench")
            env |= {
                "ONSTREAM_DATABASE_URL": f"sqlite:///{workdir}/bench.db",
                "ONSTREAM_MEDIA_URL": "s3://bench/media",
                "ONSTREAM_S3_ENDPOINT_URL": endpoint,
                "ONSTREAM_LOG_LEVEL": "warning",
            }
            run = [sys.executable, "-m", "onstream"]
            subprocess.run(  # noqa: S603
                [
                    *run,
                    "user",
                    "add",
                    "bench",
                    "--email",
                    "b@example.com",
                    "--password",
                    "bench-password-1",
                ],
                env=env,
                cwd=workdir,
                check=True,
            )
            server = subprocess.Popen(  # noqa: S603
                [*run, "serve", "--port", str(port)], env=env, cwd=workdir
            )
            try:
                wait_for(f"http://127.0.0.1:{port}/health")
                measure(client, f"http://127.0.0.1:{port}", args.mib, args.seeks)
            finally:
                server.terminate()
                server.wait()
        finally:
            moto.terminate()
            moto.wait()


def measure(client: object, base: str, mib: int, seeks: int) -> None:
    data = os.urandom(mib * MIB)
    with httpx.Client(base_url=base, timeout=120) as http:
        started = time.perf_counter()
        created = http.put(
            "/api/2/bench/file/format/json",
            auth=("bench", "bench-password-1"),
            data={"is_url": "0"},
            files={"file": ("film.webm", data, "video/webm")},
        )
        upload = time.perf_counter() - started
        file_id = created.json()["id"]
        link = http.get(
            f"/api/2/bench/file/id/{file_id}/format/json", auth=("bench", "bench-password-1")
        )
        path = httpx.URL(link.json()["files"][0]["file_link"]).path
        key = path.split("/")[2]
        presigned = client.generate_presigned_url(  # type: ignore[attr-defined]
            "get_object", Params={"Bucket": "bench", "Key": f"media/{key}"}, ExpiresIn=600
        )
        offsets = [random.randrange(0, len(data) - MIB) for _ in range(seeks)]  # noqa: S311
        relayed, lookup, direct = [], [], []
        with httpx.Client(timeout=120) as s3:
            for offset in offsets:
                header = {"range": f"bytes={offset}-{offset + MIB - 1}"}
                relayed.append(timed(lambda h=header: http.get(path, headers=h)))
                lookup.append(timed(lambda: http.head(path)))
                direct.append(timed(lambda h=header: s3.get(presigned, headers=h)))
            whole_relayed = timed(lambda: http.get(path))
            whole_direct = timed(lambda: s3.get(presigned))
    ms = 1000
    redirect = [a + b for a, b in zip(lookup, direct, strict=True)]
    print(f"upload of {mib} MiB through the API (multipart to S3): {upload:.2f} s")
    print(
        f"1 MiB seek, median of {seeks}: relayed {statistics.median(relayed) * ms:.1f} ms, "
        f"redirect {statistics.median(redirect) * ms:.1f} ms "
        f"(lookup {statistics.median(lookup) * ms:.1f} + S3 {statistics.median(direct) * ms:.1f})"
    )
    print(
        f"whole {mib} MiB: relayed {whole_relayed:.2f} s ({mib / whole_relayed:.0f} MiB/s), "
        f"straight from S3 {whole_direct:.2f} s ({mib / whole_direct:.0f} MiB/s)"
    )


if __name__ == "__main__":
    main()
