"""Which background workers a process runs: the one place that builds them.

`onstream serve` runs them inside the application (`app.create_app` starts them in its
lifespan and stops them at shutdown); `onstream worker` runs the delivery workers alone:

| worker | serve | worker |
| --- | --- | --- |
| mail delivery (`mail.worker`) | unless `ONSTREAM_MAIL_WORKER=0` | always |
| webhook delivery (`webhooks.worker`) | with the mail worker | always |
| recording jobs (`meetings.recorder`) | unless `ONSTREAM_RECORDING_WORKER=0` | no |
| room sweeper (`meetings.sweeper`) | when Janus is configured | no |

The mail worker is built even when it does not run here: the API wakes it after a commit,
which costs nothing when no loop listens.
"""

from __future__ import annotations

from dataclasses import dataclass

from onstream.background import Worker, Workers
from onstream.config import Settings
from onstream.mail.sender import Sender
from onstream.mail.worker import DeliveryWorker
from onstream.media.store import MediaStore
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms
from onstream.meetings.recorder import RecordingWorker
from onstream.meetings.sweeper import RoomSweeper
from onstream.scheduling import invitation_events
from onstream.storage.database import Database
from onstream.webhooks.worker import WebhookWorker


@dataclass(frozen=True, slots=True)
class Background:
    """A process's background workers: the mail worker (which the API wakes) and those that
    run here, in the order they stop (an encode in hand is killed first)."""

    mail: DeliveryWorker
    running: Workers


def build_workers(
    settings: Settings,
    *,
    database: Database,
    sender: Sender,
    mail: bool,
    store: MediaStore | None = None,
    rooms: tuple[JanusRooms, RoomChanges] | None = None,
) -> Background:
    """The workers for these settings: mail and webhooks when `mail`, the recorder when a
    `store` is given, the sweeper when `rooms` (Janus and its change applier) are."""
    mailer = DeliveryWorker(
        database=database,
        sender=sender,
        settings=settings,
        on_outcome=invitation_events.tell_webhooks,
    )
    running: list[Worker] = []
    if store is not None:
        running.append(RecordingWorker(database=database, store=store, settings=settings))
    if mail:
        running.append(mailer)
        hooks = WebhookWorker(
            database=database,
            poll_seconds=settings.mail_poll_seconds,
            allowed_networks=settings.webhook_allowed_networks,
            public_addresses=settings.webhook_public,
        )
        running.append(hooks)
    if rooms is not None:
        janus, changes = rooms
        running.append(
            RoomSweeper(database=database, rooms=janus, settings=settings, changes=changes)
        )
    return Background(mail=mailer, running=Workers(running))
