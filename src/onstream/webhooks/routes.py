"""API handlers for `webhook`, `webhooks`, `webhook_deliveries` and `webhook_delivery`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onstream.errors import Invalid
from onstream.protocol.describe import ID, PAGING, Operation, Param, described, list_of
from onstream.protocol.listing import Listed, paging
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Intake, Reply, Staged, message
from onstream.services import ApiCall
from onstream.webhooks import documents, repository, rules, service
from onstream.webhooks.events import EVENTS
from onstream.webhooks.models import WebhookInput
from onstream.webhooks.outbox import STATUSES

WEBHOOKS = list_of(
    "webhooks",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "url": {"type": "string"},
            "events": {"type": "string", "description": "';'-separated event names"},
            "active": {"type": ["boolean", "integer"]},
            "status": {"type": "string", "enum": ["ok", "failing"]},
            "last_error": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
        },
    },
)
DELIVERIES = list_of(
    "webhook_deliveries",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "webhook_id": {"type": "integer"},
            "event_id": {"type": "string"},
            "type": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "attempts": {"type": "integer"},
            "last_error": {"type": ["string", "null"]},
            "next_attempt_at": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
            "delivered_at": {"type": ["string", "null"]},
        },
    },
)
ADDED = {
    "type": "object",
    "required": ["id", "secret", "message"],
    "properties": {
        "id": {"type": "integer"},
        "secret": {
            "type": "string",
            "description": "Signs every delivery (Onstream-Signature); shown only in this answer",
        },
        "message": {"type": "string"},
    },
}
REFUSALS = (
    "400 when the url's host is or resolves to an address that is not public (loopback, "
    "private, link-local, shared, multicast, reserved) unless the operator allows its network, "
    "and when the account already has as many webhooks as the server allows (20 by default)."
)
URL = Param(
    "url",
    description=(
        "Where events are POSTed: http(s), no user name or password, a host whose every "
        "address is public (or in a network the operator allows); redirects are not followed"
    ),
    max_length=2048,
    example="https://example.com/hooks/onstream",
)
EVENTS_PARAM = Param(
    "events",
    description=f"Event names separated by ';': {', '.join(EVENTS)}",
    example="session.created;session.updated",
)
ACTIVE = Param("active", "boolean", "0 stops new events for this webhook", example=True)


def _id(params: Params) -> int:
    return params.integer("id", required=True, min=1, max=ID_MAX)


def _input(params: Params) -> WebhookInput:
    return WebhookInput(
        url=params.text("url"), events=params.text("events"), active=params.boolean("active")
    )


def _webhooks(rows: list[dict[str, Any]], listed: Listed | None = None) -> Reply:
    return Reply(documents.webhooks_document(rows), listed=listed)


@dataclass(frozen=True, slots=True)
class _Checked:
    """PUT and POST webhook's fields, and why the URL is refused (None: it is not)."""

    data: WebhookInput
    refusal: Invalid | None


async def _check(intake: Intake[Any]) -> _Checked:
    """Resolve the URL's host before the write transaction: a DNS lookup may take seconds,
    and on SQLite the transaction holds the database's one writer lock."""
    data = _input(intake.params)
    settings = intake.settings
    refusal = await service.check_url(
        data.url, networks=settings.webhook_allowed_networks, public=settings.webhook_public
    )
    return _Checked(data, refusal)


async def _put(call: ApiCall, checked: _Checked) -> Reply:
    """PUT webhook: 201 with its id and its secret."""
    if checked.refusal is not None:
        raise checked.refusal
    limit = call.settings.webhooks_per_account
    webhook_id, secret = await service.add(call.conn, call.account, checked.data, limit=limit)
    return Reply(
        message("Webhook added", id=webhook_id, secret=secret),
        status=201,
        location=f"webhook/id/{webhook_id}",
    )


async def _post(call: ApiCall, checked: _Checked) -> Reply:
    """POST webhook: change the fields given (a refused URL once the webhook is found)."""
    webhook_id = _id(call.params)
    await service.get(call.conn, call.account, webhook_id)
    if checked.refusal is not None:
        raise checked.refusal
    await service.update(call.conn, call.account, webhook_id, checked.data)
    return Reply(message("Webhook updated", id=webhook_id))


async def _nothing_to_undo(_intake: Intake[Any], _checked: _Checked) -> None:
    """Checking wrote nothing."""


put_webhook = described(
    Operation(
        "Subscribe a URL to events; the answer carries the signing secret, shown only here. "
        f"{REFUSALS}",
        (
            Param(
                URL.name,
                description=URL.description,
                required=True,
                max_length=2048,
                example=URL.example,
            ),
            Param(
                EVENTS_PARAM.name,
                description=EVENTS_PARAM.description,
                required=True,
                example=EVENTS_PARAM.example,
            ),
            ACTIVE,
        ),
        ADDED,
        status=201,
    )
)(Staged(prepare=_check, run=_put, undo=_nothing_to_undo))
"""PUT webhook: 201 with its id and its secret."""


@described(Operation("One webhook", (ID,), WEBHOOKS, by_id=True))
async def get_webhook(call: ApiCall) -> Reply:
    """GET webhook/id/N: one webhook in a list of one (never its secret)."""
    return _webhooks([await service.get(call.conn, call.account, _id(call.params))])


@described(Operation("A page of the account's webhooks", PAGING, WEBHOOKS, listed=True))
async def get_webhooks(call: ApiCall) -> Reply:
    """GET webhooks: a page of the account's webhooks."""
    page = paging(call.params)
    rows = await repository.page(
        call.conn,
        account_id=call.account.id,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
    )
    total = await repository.total(call.conn, account_id=call.account.id)
    return _webhooks(rows, Listed(total=total, page=page))


post_webhook = described(
    Operation("Change a webhook's url, events or active", (ID, URL, EVENTS_PARAM, ACTIVE))
)(Staged(prepare=_check, run=_post, undo=_nothing_to_undo))
"""POST webhook: change the fields given."""


@described(Operation("Delete a webhook and its pending deliveries", (ID,), by_id=True))
async def delete_webhook(call: ApiCall) -> Reply:
    """DELETE webhook."""
    webhook_id = _id(call.params)
    await service.delete(call.conn, call.account, webhook_id)
    return Reply(message("Webhook was deleted", id=webhook_id))


@described(
    Operation(
        "A page of webhook deliveries, newest last",
        (
            Param("webhook_id", "integer", "Only this webhook's", minimum=1, example=1),
            Param(
                "status",
                "string",
                "Only deliveries in this status",
                enum=STATUSES,
                example="delivered",
            ),
            *PAGING,
        ),
        DELIVERIES,
        listed=True,
    )
)
async def get_webhook_deliveries(call: ApiCall) -> Reply:
    """GET webhook_deliveries: status, attempts, last error and next attempt of each."""
    webhook_id = call.params.integer("webhook_id", min=1, max=ID_MAX)
    status = rules.check_status(call.params.text("status"))
    page = paging(call.params)
    if webhook_id is not None:
        await service.get(call.conn, call.account, webhook_id)
    account_id = call.account.id
    rows = await repository.deliveries_page(
        call.conn,
        account_id=account_id,
        webhook_id=webhook_id,
        status=status,
        count=page.count,
        offset=page.offset,
        descending=page.descending,
    )
    total = await repository.deliveries_total(
        call.conn, account_id=account_id, webhook_id=webhook_id, status=status
    )
    return Reply(documents.deliveries_document(rows), listed=Listed(total=total, page=page))


@described(
    Operation(
        "Deliver an event again now (redeliver 1)",
        (ID, Param("redeliver", "boolean", "Must be 1", required=True, example=True)),
        by_id=True,
    )
)
async def post_webhook_delivery(call: ApiCall) -> Reply:
    """POST webhook_delivery/id/N/redeliver/1: pending again and due now."""
    delivery_id = _id(call.params)
    if call.params.boolean("redeliver", required=True) is not True:
        raise Invalid("redeliver must be 1")
    await service.redeliver(call.conn, call.account, delivery_id)
    return Reply(message("Webhook delivery queued again", id=delivery_id))
