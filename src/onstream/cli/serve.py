"""`onstream serve`: migrate the database, optionally create the demo account, run uvicorn.

With `--workers N` (N > 1) this process only supervises: uvicorn starts N worker processes
that each build the application, while this one restarts them and never loads the
application itself. The migration and the demo account are done in a short-lived child
process for the same reason (the supervisor stays about the size of a bare uvicorn).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shlex
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import uvicorn

from onstream.cli.common import in_transaction
from onstream.config import Settings, load_settings

if TYPE_CHECKING:
    from onstream.storage.database import Connection

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
    if args.workers > 1:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            password = child.submit(prepare_database, settings.database_url, args.demo).result()
    else:
        password = prepare_database(settings.database_url, args.demo)
    if args.demo:
        print_demo(settings, password)
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
        from onstream.app import create_app

        uvicorn.run(create_app(settings), **options)
    return 0


def prepare_database(database_url: str, demo: bool) -> str | None:
    """Migrate; with `demo`, create the demo account if there is no account yet and return
    its password."""
    from onstream.users import repository

    if demo:
        return in_transaction(database_url, create_demo_account)
    in_transaction(database_url, repository.count_accounts)
    return None


async def create_demo_account(conn: Connection) -> str | None:
    """Create the demo account when the database has none; its password, else None."""
    from onstream.users import repository, service
    from onstream.users.passwords import generate_password

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
