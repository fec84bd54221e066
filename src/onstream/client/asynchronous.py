"""`AsyncClient`: the Onstream API from Python, on asyncio (httpx); the same methods as
`Client`, awaited, with lists as async iterators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from onstream.client import requests
from onstream.client.errors import TransportError
from onstream.client.models import (
    File,
    Invitee,
    Message,
    Recording,
    Session,
    User,
    from_document,
)
from onstream.client.requests import PAGE_SIZE, Params, Upload

T = TypeVar("T")


class AsyncClient:
    """A connection to one account: `AsyncClient("http://host:8000", "login", "password")`.

    Every method raises `ApiError` (with the server's status and message) when the server
    refuses, `TransportError` when it cannot be reached. Use it as an async context manager,
    or await `aclose()`.
    """

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.login = login
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=(login, password),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    # --- any call ----------------------------------------------------------------------

    async def call(
        self,
        method: str,
        resource: str,
        params: Params | None = None,
        *,
        upload: Upload | None = None,
    ) -> dict[str, Any]:
        """Any API call; the answer's JSON document."""
        return requests.document(await self._send(method, resource, params, upload))

    async def _send(
        self, method: str, resource: str, params: Params | None, upload: Upload | None = None
    ) -> httpx.Response:
        request = requests.build(self.login, method, resource, params, upload)
        try:
            return await self._http.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                data=request.data,
                files=request.files,
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{method} {resource}: {exc}") from exc

    async def _write(
        self, method: str, resource: str, params: Params, upload: Upload | None = None
    ) -> Message:
        return requests.message(await self._send(method, resource, params, upload))

    async def _one(self, kind: type[T], resource: str, key: str, params: Params) -> T:
        items = (await self.call("GET", resource, params))[key]
        return from_document(kind, items[0])

    async def _pages(
        self, kind: type[T], resource: str, key: str, params: Params
    ) -> AsyncIterator[T]:
        response = await self._send("GET", resource, {"count": PAGE_SIZE, **params})
        while True:
            for item in requests.document(response)[key]:
                yield from_document(kind, item)
            link = requests.next_link(response)
            if link is None:
                return
            try:
                response = await self._http.get(link)
            except httpx.HTTPError as exc:
                raise TransportError(f"GET {resource}: {exc}") from exc

    # --- the account -------------------------------------------------------------------

    async def authverify(self) -> bool:
        """Whether the credentials are valid (False on 401)."""
        response = await self._send("GET", "authverify", None)
        return response.status_code == 200

    async def user(self, user_id: int | None = None) -> User:
        """The account, or one of its people."""
        return await self._one(User, "user", "users", {"id": user_id})

    # --- sessions ----------------------------------------------------------------------

    async def session(self, session_id: int, *, fields: list[str] | None = None) -> Session:
        """One session; `fields` selects what comes back (`return`)."""
        return await self._one(
            Session, "session", "sessions", {"id": session_id, **_return(fields)}
        )

    def sessions(
        self, *, fields: list[str] | None = None, order: str = "asc", invited: bool = False
    ) -> AsyncIterator[Session]:
        """Every session of the account, page after page; with `invited`, every session of
        another account it is a registered invitee of (in its own zone, with `role`)."""
        params = {"order": order, **({"invited": 1} if invited else {}), **_return(fields)}
        return self._pages(Session, "sessions", "sessions", params)

    async def create_session(self, **fields: Any) -> Message:
        """PUT session: `topic`, `start_time`, `duration`, `timezone`, ...,
        `invited_participants=[{"email": ..., "role": 1}]`."""
        return await self._write("PUT", "session", fields)

    async def update_session(self, session_id: int, **fields: Any) -> Message:
        """POST session: change the fields given."""
        return await self._write("POST", "session", {"id": session_id, **fields})

    async def delete_session(self, session_id: int) -> Message:
        """DELETE session."""
        return await self._write("DELETE", "session", {"id": session_id})

    # --- invitees ----------------------------------------------------------------------

    async def invitees(self, session_id: int) -> dict[str, list[Invitee]]:
        """The session's invitees by role group (moderators, participants, observers)."""
        groups = await self.call("GET", "invitees", {"id": session_id})
        return {g: [from_document(Invitee, i) for i in items] for g, items in groups.items()}

    async def invite(self, session_id: int, email: str, **fields: Any) -> Message:
        """PUT invitee: `first_name`, `last_name`, `role`, `send_email_invitation`."""
        return await self._write(
            "PUT", "invitee", {"session_id": session_id, "email": email, **fields}
        )

    async def uninvite(self, session_id: int, user_id: int) -> Message:
        """DELETE invitee."""
        return await self._write(
            "DELETE", "invitee", {"session_id": session_id, "user_id": user_id}
        )

    # --- recordings --------------------------------------------------------------------

    async def recording(self, recording_id: int) -> Recording:
        """One recording."""
        return await self._one(Recording, "recording", "recordings", {"id": recording_id})

    def recordings(self, *, session_id: int | None = None) -> AsyncIterator[Recording]:
        """Every recording of the account (of one session), page after page."""
        return self._pages(Recording, "recordings", "recordings", {"session": session_id})

    async def update_recording(self, recording_id: int, **fields: Any) -> Message:
        """POST recording: `title`, `description`, `password`, `allow_anonymous_playback`."""
        return await self._write("POST", "recording", {"id": recording_id, **fields})

    async def delete_recording(self, recording_id: int) -> Message:
        """DELETE recording."""
        return await self._write("DELETE", "recording", {"id": recording_id})

    # --- files -------------------------------------------------------------------------

    async def file(self, file_id: int) -> File:
        """One file of the media library."""
        return await self._one(File, "file", "files", {"id": file_id})

    def files(self) -> AsyncIterator[File]:
        """Every file of the media library, page after page."""
        return self._pages(File, "files", "files", {})

    async def add_file_link(self, url: str, *, description: str | None = None) -> Message:
        """PUT file with a link."""
        return await self._write("PUT", "file", {"file_link": url, "file_description": description})

    async def upload_file(
        self, path: str | Path, *, description: str | None = None, content_type: str | None = None
    ) -> Message:
        """PUT file with the file itself (multipart)."""
        upload = _upload(Path(path), content_type)
        params = {"is_url": False, "file_description": description}
        return await self._write("PUT", "file", params, upload)

    async def delete_file(self, file_id: int) -> Message:
        """DELETE file."""
        return await self._write("DELETE", "file", {"id": file_id})

    async def share_file(
        self, file_id: int, session_id: int, *, auto_open: bool = False
    ) -> Message:
        """PUT file_in_session."""
        params = {"file_id": file_id, "session_id": session_id, "is_auto_opening": auto_open}
        return await self._write("PUT", "file_in_session", params)


def _return(fields: list[str] | None) -> dict[str, str]:
    return {"return": ";".join(fields)} if fields else {}


def _upload(path: Path, content_type: str | None) -> Upload:
    return (path.name, path.read_bytes(), content_type or "application/octet-stream")
