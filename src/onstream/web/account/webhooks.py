"""`/account/webhooks`: the account's webhooks: add, change, delete; each one's deliveries
with their state and last error, and "Deliver again".

The pages call `webhooks.service`, as PUT, POST and DELETE webhook do: the same rules and
words. A URL's host is resolved before the write transaction (`service.check_url`), and a
refusal (an address that is not public, a bad URL) is shown beside the URL field. A new
webhook's signing secret is shown once, on the answer to the form that made it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import Response

from onstream.errors import DomainError, Missing
from onstream.protocol.params import ID_MAX
from onstream.web.account.framework import PATH, Visit, account_page, errors_for
from onstream.web.account.tokens import on_clock
from onstream.web.pages import not_found
from onstream.webhooks import repository, service
from onstream.webhooks.events import EVENTS
from onstream.webhooks.models import WebhookInput

LIST_TEMPLATE = "account/webhooks.html"
ONE_TEMPLATE = "account/webhook.html"
DELIVERIES_SHOWN = 50
"""The latest deliveries a webhook's page lists (the API pages through all of them)."""
LISTED = 100
FIELDS = ("url", "events")


def _path_id(visit: Visit, name: str) -> int | None:
    value = int(visit.request.path_params[name])
    return value if 1 <= value <= ID_MAX else None


def events_of(form: dict[str, str]) -> str:
    """The ticked events as the API's `events` text (`a;b`)."""
    return ";".join(name for name in EVENTS if form.get(f"event-{name}") == "1")


def form_of(row: dict[str, Any]) -> dict[str, str]:
    """A stored webhook as its form's fields."""
    ticked = {f"event-{name}": "1" for name in str(row["events"]).split(";")}
    return {"url": row["url"], "active": "1" if row["active"] else "", **ticked}


def _time(visit: Visit, moment: datetime | None) -> str:
    return on_clock(moment, visit.account)


def shown(visit: Visit, row: dict[str, Any]) -> dict[str, object]:
    """What the list and a webhook's page show of it."""
    return {
        "id": row["id"],
        "url": row["url"],
        "events": str(row["events"]).replace(";", ", "),
        "active": bool(row["active"]),
        "status": row["status"],
        "last_error": row["last_error"],
    }


def delivery(visit: Visit, row: dict[str, Any]) -> dict[str, object]:
    """One delivery: its event, state, attempts, last error, next attempt while pending."""
    pending = row["status"] == "pending"
    return {
        "id": row["id"],
        "type": row["type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "last_error": row["last_error"],
        "created": _time(visit, row["created_at"]),
        "delivered": _time(visit, row["delivered_at"]),
        "next": _time(visit, row["next_attempt_at"]) if pending else "",
    }


async def _checked(visit: Visit, data: WebhookInput) -> DomainError | None:
    """Why the URL may not be a webhook's, asked before the write transaction (a DNS lookup
    may take seconds), or None."""
    settings = visit.settings
    return await service.check_url(
        data.url, networks=settings.webhook_allowed_networks, public=settings.webhook_public
    )


async def _list(
    visit: Visit,
    *,
    created: tuple[int, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with visit.transaction(write=False) as conn:
        rows = await repository.page(
            conn, account_id=visit.account.id, count=LISTED, offset=0, descending=False
        )
    context = {
        "webhooks": [shown(visit, row) for row in rows],
        "events": EVENTS,
        "created": created,
        "limit": visit.settings.webhooks_per_account,
    }
    response = visit.render(LIST_TEMPLATE, context, errors=errors, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@account_page
async def webhook_list(visit: Visit) -> Response:
    """GET: the webhooks and the form for a new one; POST: add one, show its secret once."""
    if visit.request.method == "GET":
        visit.form = {"active": "1"}
        return await _list(visit)
    form = visit.form
    data = WebhookInput(url=form.get("url", ""), events=events_of(form), active=_active(form))
    try:
        refusal = await _checked(visit, data)
        if refusal is not None:
            raise refusal
        async with visit.transaction(write=True) as conn:
            webhook_id, secret = await service.add(
                conn, visit.account, data, limit=visit.settings.webhooks_per_account
            )
    except DomainError as exc:
        return await _list(visit, errors=errors_for(exc, FIELDS), status=400)
    visit.form = {"active": "1"}
    return await _list(visit, created=(webhook_id, secret))


def _active(form: dict[str, str]) -> bool:
    return form.get("active") == "1"


async def _one(
    visit: Visit,
    webhook_id: int,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    async with visit.transaction(write=False) as conn:
        try:
            row = await service.get(conn, visit.account, webhook_id)
        except Missing:
            return not_found()
        found = await repository.deliveries_page(
            conn,
            account_id=visit.account.id,
            webhook_id=webhook_id,
            status=None,
            count=DELIVERIES_SHOWN,
            offset=0,
            descending=True,
        )
    if not visit.form:
        visit.form = form_of(row)
    context = {
        "webhook": shown(visit, row),
        "events": EVENTS,
        "deliveries": [delivery(visit, d) for d in found],
    }
    return visit.render(ONE_TEMPLATE, context, errors=errors, status=status)


@account_page
async def webhook_page(visit: Visit) -> Response:
    """GET: the webhook's form and its latest deliveries; POST: change url, events, active."""
    webhook_id = _path_id(visit, "webhook_id")
    if webhook_id is None:
        return not_found()
    if visit.request.method == "GET":
        return await _one(visit, webhook_id)
    form = visit.form
    data = WebhookInput(url=form.get("url", ""), events=events_of(form), active=_active(form))
    try:
        async with visit.transaction(write=False) as conn:
            await service.get(conn, visit.account, webhook_id)
        refusal = await _checked(visit, data)
        if refusal is not None:
            raise refusal
        async with visit.transaction(write=True) as conn:
            await service.update(conn, visit.account, webhook_id, data)
    except Missing:
        return not_found()
    except DomainError as exc:
        return await _one(visit, webhook_id, errors=errors_for(exc, FIELDS), status=400)
    return visit.redirect(f"{PATH}/webhooks/{webhook_id}", flash="webhook-saved")


@account_page
async def delete(visit: Visit) -> Response:
    """GET: ask to confirm; POST: delete the webhook and its deliveries, pending ones too."""
    webhook_id = _path_id(visit, "webhook_id")
    try:
        if webhook_id is None:
            raise Missing("no such webhook")
        if visit.request.method == "GET":
            async with visit.transaction(write=False) as conn:
                row = await service.get(conn, visit.account, webhook_id)
            return visit.render("account/webhook_delete.html", {"webhook": shown(visit, row)})
        async with visit.transaction(write=True) as conn:
            await service.delete(conn, visit.account, webhook_id)
    except Missing:
        return not_found()
    return visit.redirect(f"{PATH}/webhooks", flash="webhook-deleted")


@account_page
async def redeliver(visit: Visit) -> Response:
    """POST: deliver this event again now, whatever became of it."""
    webhook_id = _path_id(visit, "webhook_id")
    delivery_id = _path_id(visit, "delivery_id")
    try:
        if webhook_id is None or delivery_id is None:
            raise Missing("no such delivery")
        async with visit.transaction(write=True) as conn:
            await service.get(conn, visit.account, webhook_id)
            await service.redeliver(conn, visit.account, delivery_id)
    except Missing:
        return not_found()
    return visit.redirect(f"{PATH}/webhooks/{webhook_id}", flash="webhook-redelivered")
