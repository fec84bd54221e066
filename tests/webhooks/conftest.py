"""A server whose webhooks may reach loopback receivers.

Webhook targets must be public addresses unless the operator allows a private network
(`ONSTREAM_WEBHOOK_ALLOWED_NETWORKS`); the receivers of the tests listen on 127.0.0.1, so the
modules that deliver to them ask for `loopback_server` (their `server` returns it), while the
suite's shared server keeps the default, which refuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.app import AppServer
from tests.support.smtp import SmtpServer

LOOPBACK = {"ONSTREAM_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}


@pytest.fixture(scope="module")
def loopback_server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpServer,
    new_database: Callable[[Path], str],
) -> Iterator[AppServer]:
    """The application with loopback allowed for webhooks, mailing to `smtp`."""
    workdir = tmp_path_factory.mktemp("hooks")
    app = AppServer(
        workdir=workdir, database_url=new_database(workdir), extra_env={**smtp.env(), **LOOPBACK}
    )
    app.start()
    yield app
    app.close()


@pytest.fixture(scope="module")
def public_server(
    tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[Path], str]
) -> Iterator[AppServer]:
    """The application as an operator runs it, webhooks allowed to reach public addresses
    (every other test server reaches none: nothing leaves the machine). Its tests register
    public URLs only on inactive webhooks, and it has no mail or recording worker."""
    workdir = tmp_path_factory.mktemp("public")
    app = AppServer(
        workdir=workdir,
        database_url=new_database(workdir),
        extra_env={
            "ONSTREAM_WEBHOOK_PUBLIC": "1",
            "ONSTREAM_MAIL_WORKER": "0",
            "ONSTREAM_RECORDING_WORKER": "0",
        },
    )
    app.start()
    yield app
    app.close()
