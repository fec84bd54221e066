"""`onstream serve`: migrate the database, optionally create the demo account, run uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
from typing import Any

import uvicorn

from onstream.app import create_app
from onstream.cli.common import in_transaction
from onstream.config import Settings, load_settings
from onstream.storage.database import Connection
from onstream.users import repository, service
from onstream.users.passwords import generate_password

DEMO_LOGIN = "demo"


def add_parser(sub: Any) -> None:
    """Register `serve`."""
    serve = sub.add_parser("serve", help="run the API server (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="when the database has no account yet, create one and print its credentials",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = load_settings().with_listen(host=args.host, port=args.port)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    if args.demo:
        print_demo(settings, in_transaction(settings.database_url, create_demo_account))
    else:
        in_transaction(settings.database_url, repository.count_accounts)  # migrates
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": args.access_log,
        "server_header": False,
    }
    if args.workers > 1:
        # Worker processes build the app from the environment, so hand them these settings.
        os.environ["ONSTREAM_HOST"] = settings.host
        os.environ["ONSTREAM_PORT"] = str(settings.port)
        target: Any = "onstream.app:app_from_environment"
        uvicorn.run(target, factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


async def create_demo_account(conn: Connection) -> str | None:
    """Create the demo account when the database has none; its password, else None."""
    if await repository.count_accounts(conn) > 0:
        return None
    password = generate_password()
    await service.add_account(conn, login=DEMO_LOGIN, email="demo@example.com", password=password)
    return password


def print_demo(settings: Settings, password: str | None) -> None:
    """Tell the person at the terminal how to call the API."""
    if password is None:
        print(
            "The database already has accounts, so no demo account was created.\n"
            f"Set a new password for the demo account with: onstream user passwd {DEMO_LOGIN}"
        )
        return
    url = f"{settings.public_base_url}/api/2/{DEMO_LOGIN}/authverify"
    credentials = shlex.quote(f"{DEMO_LOGIN}:{password}")
    print(
        "\nDemo account created\n"
        f"  login:    {DEMO_LOGIN}\n"
        f"  password: {password}\n\n"
        "Try it:\n"
        f"  curl -u {credentials} {url}\n",
        flush=True,
    )
