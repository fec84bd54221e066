"""`onstream serve`: migrate the database, optionally create the demo account
(`scheduling.demo`) and its Janus (`server.demo`), then serve (`onstream.server`).

With `--workers N` (N > 1) this process only supervises (`onstream.server.supervisor`): it
starts N worker processes that each build the application, restarts them, and never loads
the application, uvicorn or a database driver itself. The storage check, the migration and
the demo account are done in a short-lived child process (`serve --prepare`, started by
`server.preparation`) for the same reason: what they import would stay in the supervisor
for the server's whole life.
"""

from __future__ import annotations

import argparse
import os
import shlex
from dataclasses import replace
from typing import Any

from onstream import logs
from onstream.cli.common import in_transaction, run_async
from onstream.config import Settings, load_settings
from onstream.scheduling.demo import DEMO_LOGIN, DEMO_MEETING
from onstream.server.demo import start_demo_janus
from onstream.server.metrics import metrics_directory


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
    # The child that `serve --workers N` runs first (see the module docstring): it checks the
    # media store, migrates, creates the demo account, and prints what `print_demo` needs.
    serve.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Serve until interrupted; with `--demo` and no Janus configured, run one beside."""
    settings = load_settings().with_listen(host=args.host, port=args.port)
    logs.configure(settings.log_level, settings.log_format)
    if args.prepare:
        password = prepare(settings, args.demo)
        print(password or "", flush=True)
        return 0
    supervised = start_demo_janus(settings) if args.demo and not settings.janus_servers else None
    if supervised is not None:
        janus = supervised.janus
        settings = replace(settings, janus_urls=janus.url, janus_admin_key=janus.admin_key)
        os.environ["ONSTREAM_JANUS_URLS"] = janus.url
        os.environ["ONSTREAM_JANUS_ADMIN_KEY"] = janus.admin_key
    cleanup = metrics_directory()
    try:
        return _serve(args, settings)
    finally:
        cleanup()
        if supervised is not None:
            supervised.stop()


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1:
        from onstream.server.preparation import prepare_in_child

        password = prepare_in_child(args.demo)
        if args.demo:
            print_demo(settings, password)
        from onstream.server.supervisor import supervise

        return supervise(args.workers, settings, access_log=args.access_log)
    password = prepare(settings, args.demo)
    if args.demo:
        print_demo(settings, password)
    from onstream.server.process import serve_here

    serve_here(settings, access_log=args.access_log)
    return 0


def prepare(settings: Settings, demo: bool) -> str | None:
    """Check the media store, migrate, and with `demo` create the demo account (see
    `prepare_database`)."""
    from onstream.media.selection import store_for

    # A missing bucket or refused credentials is one line now, not a failing request later.
    run_async(store_for(settings).check())
    return prepare_database(settings.database_url, demo)


def prepare_database(database_url: str, demo: bool) -> str | None:
    """Migrate; with `demo`, create the demo account and meeting if there is no account yet
    and return their password and host key, space-separated: it crosses a process boundary
    as text (`server.preparation`)."""
    from onstream.scheduling.demo import create_demo_account
    from onstream.users import repository

    if demo:
        created = in_transaction(database_url, create_demo_account)
        return None if created is None else f"{created.password} {created.host_key}"
    in_transaction(database_url, repository.count_accounts)
    return None


def print_demo(settings: Settings, password: str | None) -> None:
    """Tell the person at the terminal how to call the API."""
    if password is None:
        print(
            "The database already has accounts, so no demo account was created.\n"
            f"Set a new password for the demo account with: onstream user passwd {DEMO_LOGIN}"
        )
        return
    password, _, host_key = password.partition(" ")
    url = f"{settings.public_base_url}/api/2/{DEMO_LOGIN}/authverify"
    credentials = shlex.quote(f"{DEMO_LOGIN}:{password}")
    base = f"{settings.public_base_url}/{DEMO_LOGIN}"
    print(
        "\nDemo account created\n"
        f"  login:    {DEMO_LOGIN}\n"
        f"  password: {password}\n\n"
        "Try it:\n"
        f"  curl -u {credentials} {url}\n\n"
        "A demo meeting is open now. Enter it as its host:\n"
        f"  {base}/host/{host_key}\n"
        "and let others join at\n"
        f"  {base}/{DEMO_MEETING}\n\n"
        "Sign in to the account center with the login and password above:\n"
        f"  {settings.public_base_url}/account\n",
        flush=True,
    )
    print(mail_note(settings), flush=True)


def mail_note(settings: Settings) -> str:
    """Where the demo's e-mail goes: without a relay it stays in the outbox, readable."""
    if settings.smtp_host:
        return f"E-mail goes out through {settings.smtp_host}:{settings.smtp_port}.\n"
    return (
        "E-mail is not sent (no ONSTREAM_SMTP_HOST): it stays in the outbox, listed by\n"
        "  onstream outbox\nand shown as it would arrive by\n  onstream outbox show ID\n"
    )
