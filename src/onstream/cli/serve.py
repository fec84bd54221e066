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
from typing import TYPE_CHECKING, Any

from onstream import logs
from onstream.cli.common import in_transaction, run_async
from onstream.config import Settings, load_settings
from onstream.scheduling.demo import DEMO_LOGIN, DEMO_MEETING
from onstream.server.demo import start_demo_janus
from onstream.server.metrics import metrics_directory

if TYPE_CHECKING:
    from onstream.storage.database import Connection


def add_parser(sub: Any) -> None:
    """Register `serve`."""
    serve = sub.add_parser("serve", help="run the API server (migrates the database first)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help=(
            "print the demo meeting's links, reopened when it ended; when the database has"
            " no account yet, create the demo account first and print its password"
        ),
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
        settings = replace(
            settings,
            janus_urls=janus.url,
            janus_websocket_urls=janus.ws_url,
            janus_admin_key=janus.admin_key,
        )
        os.environ["ONSTREAM_JANUS_URLS"] = janus.url
        os.environ["ONSTREAM_JANUS_WEBSOCKET_URLS"] = janus.ws_url
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
    return prepare_database(settings, demo)


def prepare_database(settings: Settings, demo: bool) -> str | None:
    """Migrate; with `demo`, create the demo account and meeting if there is no account yet,
    or open the demo account's meeting again, and return the password (empty when the
    account was there already) and the meeting's host key, space-separated: they cross a
    process boundary as text (`server.preparation`). None without a demo account."""
    from onstream.scheduling.demo import create_demo_account, open_demo_meeting
    from onstream.users import repository

    if not demo:
        in_transaction(settings.database_url, repository.count_accounts)
        return None
    created = in_transaction(settings.database_url, create_demo_account)
    if created is not None:
        return f"{created.password} {created.host_key}"

    async def reopen(conn: Connection) -> str | None:
        return await open_demo_meeting(
            conn,
            opens_minutes=settings.room_opens_minutes,
            grace_minutes=settings.room_grace_minutes,
        )

    host_key = in_transaction(settings.database_url, reopen)
    return None if host_key is None else f" {host_key}"


def print_demo(settings: Settings, prepared: str | None) -> None:
    """Tell the person at the terminal where everything is, at every start: the password
    when the demo account was just created (else how to set a new one), the demo meeting's
    host and guest links, the account center, the API's docs and guide."""
    root = settings.public_base_url
    again = (
        f"  onstream user passwd {DEMO_LOGIN}\n"
        "  (./scripts/demo installs the command as .venv/bin/onstream)\n"
    )
    places = (
        "Sign in to the account center:\n"
        f"  {root}/account\n"
        'The API: every call with a "Try it out" button, and a guide in PHP, curl and Python:\n'
        f"  {root}/docs\n"
        f"  {root}/docs/guide\n"
    )
    if prepared is None:
        print(
            "\nThe database already has accounts and none is called "
            f"{DEMO_LOGIN!r}, so no demo account was created.\n\n{places}",
            flush=True,
        )
        return
    password, _, host_key = prepared.partition(" ")
    base = f"{root}/{DEMO_LOGIN}"
    if password:
        url = f"{root}/api/2/{DEMO_LOGIN}/authverify"
        credentials = shlex.quote(f"{DEMO_LOGIN}:{password}")
        account = (
            "\nDemo account created\n"
            f"  login:    {DEMO_LOGIN}\n"
            f"  password: {password}\n\n"
            "Try it:\n"
            f"  curl -u {credentials} {url}\n\n"
        )
        forgot = f"Lost the password? Set a new one with\n{again}"
    else:
        account = (
            f"\nDemo account: login {DEMO_LOGIN} (its password was printed when it was created)\n\n"
        )
        forgot = f"Set a new password for it with\n{again}"
    print(
        f"{account}"
        "A demo meeting is open now. Enter it as its host:\n"
        f"  {base}/host/{host_key}\n"
        "and let others join at\n"
        f"  {base}/{DEMO_MEETING}\n\n"
        f"{places}\n"
        f"{forgot}",
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
