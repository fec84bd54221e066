"""`Client`: the Onstream API from Python, blocking (httpx)."""

from __future__ import annotations

from collections.abc import Iterator
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


class Client:
    """A connection to one account: `Client("http://host:8000", "login", "password")`.

    Every method raises `ApiError` (with the server's status and message) when the server
    refuses, `TransportError` when it cannot be reached. Use it as a context manager, or
    call `close()`.
    """

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.login = login
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=(login, password),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # --- any call ----------------------------------------------------------------------

    def call(
        self,
        method: str,
        resource: str,
        params: Params | None = None,
        *,
        upload: Upload | None = None,
    ) -> dict[str, Any]:
        """Any API call; the answer's JSON document."""
        return requests.document(self._send(method, resource, params, upload))

    def _send(
        self, method: str, resource: str, params: Params | None, upload: Upload | None = None
    ) -> httpx.Response:
        request = requests.build(self.login, method, resource, params, upload)
        try:
            return self._http.request(
                request.method,
                request.url,
                params=request.params,
                json=request.json,
                data=request.data,
                files=request.files,
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{method} {resource}: {exc}") from exc

    def _write(
        self, method: str, resource: str, params: Params, upload: Upload | None = None
    ) -> Message:
        return requests.message(self._send(method, resource, params, upload))

    def _one(self, kind: type[T], resource: str, key: str, params: Params) -> T:
        items = self.call("GET", resource, params)[key]
        return from_document(kind, items[0])

    def _pages(self, kind: type[T], resource: str, key: str, params: Params) -> Iterator[T]:
        response = self._send("GET", resource, {"count": PAGE_SIZE, **params})
        while True:
            for item in requests.document(response)[key]:
                yield from_document(kind, item)
            link = requests.next_link(response)
            if link is None:
                return
            try:
                response = self._http.get(link)
            except httpx.HTTPError as exc:
                raise TransportError(f"GET {resource}: {exc}") from exc

    # --- the account -------------------------------------------------------------------

    def authverify(self) -> bool:
        """Whether the credentials are valid (False on 401)."""
        response = self._send("GET", "authverify", None)
        return response.status_code == 200

    def user(self, user_id: int | None = None) -> User:
        """The account, or one of its people."""
        return self._one(User, "user", "users", {"id": user_id})

    # --- sessions ----------------------------------------------------------------------

    def session(self, session_id: int, *, fields: list[str] | None = None) -> Session:
        """One session; `fields` selects what comes back (`return`)."""
        return self._one(Session, "session", "sessions", {"id": session_id, **_return(fields)})

    def sessions(
        self, *, fields: list[str] | None = None, order: str = "asc", invited: bool = False
    ) -> Iterator[Session]:
        """Every session of the account, page after page; with `invited`, every session of
        another account it is a registered invitee of (in its own zone, with `role`)."""
        params = {"order": order, **({"invited": 1} if invited else {}), **_return(fields)}
        return self._pages(Session, "sessions", "sessions", params)

    def create_session(self, **fields: Any) -> Message:
        """PUT session: `topic`, `start_time`, `duration`, `timezone`, ...,
        `invited_participants=[{"email": ..., "role": 1}]`."""
        return self._write("PUT", "session", fields)

    def update_session(self, session_id: int, **fields: Any) -> Message:
        """POST session: change the fields given."""
        return self._write("POST", "session", {"id": session_id, **fields})

    def delete_session(self, session_id: int) -> Message:
        """DELETE session."""
        return self._write("DELETE", "session", {"id": session_id})

    # --- invitees ----------------------------------------------------------------------

    def invitees(self, session_id: int) -> dict[str, list[Invitee]]:
        """The session's invitees by role group (moderators, participants, observers)."""
        groups = self.call("GET", "invitees", {"id": session_id})
        return {g: [from_document(Invitee, i) for i in items] for g, items in groups.items()}

    def invite(self, session_id: int, email: str, **fields: Any) -> Message:
        """PUT invitee: `first_name`, `last_name`, `role`, `send_email_invitation`."""
        return self._write("PUT", "invitee", {"session_id": session_id, "email": email, **fields})

    def uninvite(self, session_id: int, user_id: int) -> Message:
        """DELETE invitee."""
        return self._write("DELETE", "invitee", {"session_id": session_id, "user_id": user_id})

    # --- recordings --------------------------------------------------------------------

    def recording(self, recording_id: int) -> Recording:
        """One recording."""
        return self._one(Recording, "recording", "recordings", {"id": recording_id})

    def recordings(self, *, session_id: int | None = None) -> Iterator[Recording]:
        """Every recording of the account (of one session), page after page."""
        return self._pages(Recording, "recordings", "recordings", {"session": session_id})

    def update_recording(self, recording_id: int, **fields: Any) -> Message:
        """POST recording: `title`, `description`, `password`, `allow_anonymous_playback`."""
        return self._write("POST", "recording", {"id": recording_id, **fields})

    def delete_recording(self, recording_id: int) -> Message:
        """DELETE recording."""
        return self._write("DELETE", "recording", {"id": recording_id})

    # --- files -------------------------------------------------------------------------

    def file(self, file_id: int) -> File:
        """One file of the media library."""
        return self._one(File, "file", "files", {"id": file_id})

    def files(self) -> Iterator[File]:
        """Every file of the media library, page after page."""
        return self._pages(File, "files", "files", {})

    def add_file_link(self, url: str, *, description: str | None = None) -> Message:
        """PUT file with a link."""
        return self._write("PUT", "file", {"file_link": url, "file_description": description})

    def upload_file(
        self, path: str | Path, *, description: str | None = None, content_type: str | None = None
    ) -> Message:
        """PUT file with the file itself (multipart)."""
        upload = _upload(Path(path), content_type)
        params = {"is_url": False, "file_description": description}
        return self._write("PUT", "file", params, upload)

    def delete_file(self, file_id: int) -> Message:
        """DELETE file."""
        return self._write("DELETE", "file", {"id": file_id})

    def share_file(self, file_id: int, session_id: int, *, auto_open: bool = False) -> Message:
        """PUT file_in_session."""
        params = {"file_id": file_id, "session_id": session_id, "is_auto_opening": auto_open}
        return self._write("PUT", "file_in_session", params)


def _return(fields: list[str] | None) -> dict[str, str]:
    return {"return": ";".join(fields)} if fields else {}


def _upload(path: Path, content_type: str | None) -> Upload:
    return (path.name, path.read_bytes(), content_type or "application/octet-stream")
