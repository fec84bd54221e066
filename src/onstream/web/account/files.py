"""`/account/files`: the account's media library: upload, share in a session, unshare, delete.

Uploads go through the API's own staged handler (`files.routes.put_file`): its `prepare`
checks the size and puts the bytes in the media store before the write transaction, and its
`undo` removes them when the transaction refuses or fails, so a refused form leaves no media
behind. A deleted file's bytes leave the store after the commit, as DELETE file does.
"""

from __future__ import annotations

from functools import partial

from starlette.datastructures import UploadFile
from starlette.responses import Response

from onstream.errors import Deleted, DomainError, Missing, Taken
from onstream.files import service
from onstream.files.documents import download_path
from onstream.files.models import FileInput, LibraryFile
from onstream.files.routes import put_file
from onstream.media.store import StoredMedia
from onstream.protocol.errors import ApiError
from onstream.protocol.params import ID_MAX, Params
from onstream.protocol.resources import Intake
from onstream.sessions import service as sessions
from onstream.storage.unit_of_work import unit_of_work
from onstream.web.account.framework import Visit, account_page, errors_for, upload_page
from onstream.web.account.home import local_time
from onstream.web.pages import not_found

PAGE_SIZE = 50
SESSIONS_OFFERED = 100
"""Upcoming sessions the share form offers (a file is shared before a session starts)."""


def item_id(visit: Visit, name: str) -> int | None:
    """The id in the URL, or None when no record can have it (never a database error)."""
    value = int(visit.request.path_params[name])
    return value if 1 <= value <= ID_MAX else None


def size_text(size: int | None) -> str:
    """`812 bytes`, `3.4 KB`, `12.0 MB`: what a person reads beside a download."""
    if size is None:
        return ""
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB"):
        value /= 1000
        if value < 1000:
            return f"{value:.1f} {unit}"
    return f"{value / 1000:.1f} GB"


def shown(item: LibraryFile) -> dict[str, object]:
    """What the list and the file's page show of a file."""
    if item.media_key is not None and item.media_name is not None:
        link = download_path(item.media_key, item.media_name)
    else:
        link = item.file_link or ""
    return {
        "id": item.id,
        "name": item.file_description or item.media_name or link,
        "file_name": item.media_name,
        "link": link,
        "is_upload": item.media_key is not None,
        "size": size_text(item.media_size),
        "added": f"{item.created_at:%Y-%m-%d}",
    }


async def _library(
    visit: Visit, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    text = visit.request.query_params.get("offset", "0")
    offset = min(int(text), 10**9) if text.isdigit() else 0
    async with visit.transaction(write=False) as conn:
        items = await service.page(
            conn, visit.account, count=PAGE_SIZE + 1, offset=offset, descending=True
        )
    context = {
        "files": [shown(f) for f in items[:PAGE_SIZE]],
        "previous": max(0, offset - PAGE_SIZE) if offset else None,
        "next": offset + PAGE_SIZE if len(items) > PAGE_SIZE else None,
        "upload_limit": size_text(visit.settings.upload_max_bytes),
    }
    return visit.render("account/files.html", context, errors=errors, status=status)


@account_page
async def library(visit: Visit) -> Response:
    """The account's files, newest first, and the upload form."""
    return await _library(visit)


@upload_page
async def upload(visit: Visit) -> Response:
    """POST: store the upload (outside the transaction), then add the file; a refused
    upload's bytes leave the store again."""
    if visit.body_error is not None:
        error = visit.body_error
        return await _library(visit, errors={"file": error.message}, status=error.status)
    chosen: UploadFile | None = visit.uploads.get("file")
    if chosen is not None and not chosen.filename and not chosen.size:
        chosen = None  # a browser sends an empty part when no file was chosen
    values = {"is_url": "0"} | ({"file": chosen} if chosen is not None else {})
    intake = Intake(params=Params(values), settings=visit.settings, services=visit.services)
    try:
        staged: StoredMedia | None = await put_file.prepare(intake)
    except ApiError as exc:
        return await _library(visit, errors={"file": exc.message}, status=exc.status)
    data = FileInput(
        is_url=False, file_description=visit.form.get("file_description", ""), upload=staged
    )
    try:
        async with visit.transaction(write=True) as conn:
            file_id = await service.add(
                conn, visit.account, data, base_url=visit.settings.public_base_url
            )
    except DomainError as exc:
        await put_file.undo(intake, staged)
        errors = errors_for(exc, ("file_description",))
        errors = errors if "" not in errors else {"file": exc.message}
        return await _library(visit, errors=errors, status=400)
    except BaseException:
        await put_file.undo(intake, staged)
        raise
    return visit.redirect(f"/account/files/{file_id}", flash="file-added")


async def _file_page(
    visit: Visit, *, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    file_id = item_id(visit, "file_id")
    async with visit.transaction(write=False) as conn:
        try:
            item = await service.get(conn, visit.account, file_id or 0)
        except (Missing, Deleted):
            return not_found()
        shares = await service.shares(conn, visit.account, item.id)
        upcoming, _more = await sessions.timeline(
            conn, visit.account, upcoming=True, count=SESSIONS_OFFERED, offset=0
        )
    shared_in = {s.session_id for s in shares}
    context = {
        "file": shown(item),
        "shares": shares,
        "offered": [
            {"id": s.id, "label": f"{s.topic}, {local_time(s, visit.account)}"}
            for s in upcoming
            if s.id not in shared_in
        ],
    }
    return visit.render("account/file.html", context, errors=errors, status=status)


@account_page
async def file_page(visit: Visit) -> Response:
    """One file: its download link, the sessions it is shared in, share and delete."""
    return await _file_page(visit)


async def _owned(visit: Visit) -> LibraryFile | None:
    """The URL's file when it is a live file of this account."""
    file_id = item_id(visit, "file_id")
    if file_id is None:
        return None
    async with visit.transaction(write=False) as conn:
        try:
            return await service.get(conn, visit.account, file_id)
        except (Missing, Deleted):
            return None


@account_page
async def share(visit: Visit) -> Response:
    """POST: share the file in a session of the account, opening for everyone or not."""
    item = await _owned(visit)
    if item is None:
        return not_found()
    params = Params({"session_id": visit.form.get("session_id", "")})
    try:
        session_id = params.integer("session_id", required=True, min=1, max=ID_MAX)
        async with visit.transaction(write=True) as conn:
            await service.add_to_session(
                conn,
                visit.account,
                file_id=item.id,
                session_id=session_id,
                is_auto_opening=visit.form.get("is_auto_opening") == "1",
            )
    except ApiError as exc:
        return await _file_page(visit, errors={"session_id": exc.message}, status=exc.status)
    except (Missing, Deleted, Taken) as exc:
        status = 409 if isinstance(exc, Taken) else 400
        return await _file_page(visit, errors={"session_id": exc.message}, status=status)
    return visit.redirect(f"/account/files/{item.id}", flash="file-shared")


@account_page
async def unshare(visit: Visit) -> Response:
    """POST: stop sharing the file in one session (not shared there: the 404 page)."""
    item = await _owned(visit)
    text = visit.form.get("session_id", "")
    if item is None or not text.isdigit() or not 1 <= int(text) <= ID_MAX:
        return not_found()
    try:
        async with visit.transaction(write=True) as conn:
            await service.remove_from_session(
                conn, visit.account, file_id=item.id, session_id=int(text)
            )
    except Missing:
        return not_found()
    return visit.redirect(f"/account/files/{item.id}", flash="file-unshared")


@account_page
async def delete(visit: Visit) -> Response:
    """GET: ask to confirm. POST: delete the file (it leaves every session); an upload's
    bytes leave the store after the commit."""
    item = await _owned(visit)
    if item is None:
        return not_found()
    if visit.request.method == "GET":
        return visit.render("account/file_delete.html", {"file": shown(item)})
    try:
        async with unit_of_work(visit.database, write=True) as work:
            media_key = await service.delete(work.conn, visit.account, item.id)
            if media_key is not None:
                work.after_commit(partial(visit.services.media.delete, media_key))
    except (Missing, Deleted):
        return not_found()
    return visit.redirect("/account/files", flash="file-deleted")
