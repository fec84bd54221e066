"""`onstream media copy --from URL --to URL`: move every media blob between stores."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from onstream.cli.common import run_async
from onstream.config import load_settings

URL_HELP = "s3://bucket/prefix, file:///path or a directory"


def add_parser(sub: Any) -> None:
    """Register `media` and its subcommands."""
    media = sub.add_parser("media", help="the media store (recordings' media, uploaded files)")
    media_sub = media.add_subparsers(dest="media_command", required=True, metavar="COMMAND")
    copy = media_sub.add_parser(
        "copy",
        help="copy every media object from one store to another, keeping their keys",
        description=(
            "Copy every media object from one store to another (a local directory to a "
            "bucket and back, or between buckets). Objects keep their keys, so the "
            "database needs no change: point ONSTREAM_MEDIA_URL at the target afterwards. "
            "Objects the target already holds with the same size are skipped, so an "
            "interrupted copy is finished by running it again. S3 endpoint, region and "
            "credentials: ONSTREAM_S3_ENDPOINT_URL and the usual AWS_* variables."
        ),
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help=URL_HELP)
    copy.add_argument("--to", dest="target", required=True, metavar="URL", help=URL_HELP)
    copy.set_defaults(run=run_copy)


def run_copy(args: argparse.Namespace) -> int:
    """Copy, with a progress line per object on stderr and a summary on stdout."""
    from onstream.media.selection import store_at
    from onstream.media.transfer import Progress, copy_all, megabytes

    settings = load_settings()
    source = store_at(args.source, settings=settings)
    target = store_at(args.target, settings=settings)

    def report(step: Progress) -> None:
        print(
            f"  {step.done}/{step.total} objects, {megabytes(step.bytes_copied)} copied",
            file=sys.stderr,
        )

    async def copy() -> Progress:
        await source.check()
        await target.check()
        return await copy_all(source, target, progress=report)

    try:
        done = run_async(copy())
    except OSError as exc:
        from onstream.cli.backup import failed

        return failed("media copy", exc)
    print(
        f"copied {done.total - done.skipped} media objects ({megabytes(done.bytes_copied)}) "
        f"from {args.source} to {args.target}; {done.skipped} were already there"
    )
    return 0
