"""A browser's side of the Janus API, without the browser: session, handle, messages, events.

VideoRoom answers a `join` asynchronously: the POST only gets `{"janus":"ack"}`, and the
result comes as an event on the session's long poll (`GET /janus/<session>`), which Janus
holds up to 30 s. `event()` waits for the next plugin event of this handle, within a bound.
"""

from __future__ import annotations

import secrets
import time
from types import TracebackType
from typing import Any, Self

import httpx

JsonDict = dict[str, Any]


class Peer:
    """One Janus session with one handle on `plugin`, as janus.js makes them."""

    def __init__(self, url: str, plugin: str = "janus.plugin.videoroom") -> None:
        self.url = url
        self.plugin = plugin
        self.http = httpx.AsyncClient(timeout=10)
        self.session = 0
        self.handle = 0

    async def __aenter__(self) -> Self:
        self.session = int((await self._post("", {"janus": "create"}))["data"]["id"])
        attach = {"janus": "attach", "plugin": self.plugin}
        self.handle = int((await self._post(f"/{self.session}", attach))["data"]["id"])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._post(f"/{self.session}", {"janus": "destroy"})
        finally:
            await self.http.aclose()

    async def send(self, body: JsonDict) -> JsonDict:
        """Send a plugin message; Janus' immediate answer (`ack` for asynchronous requests)."""
        return await self._post(
            f"/{self.session}/{self.handle}", {"janus": "message", "body": body}
        )

    async def ask(self, body: JsonDict, *, seconds: float = 5.0) -> JsonDict:
        """Send an asynchronous request and return the plugin data of the event answering it."""
        answer = await self.send(body)
        assert answer["janus"] == "ack", answer
        return await self.event(seconds=seconds)

    async def event(self, *, seconds: float = 5.0) -> JsonDict:
        """The plugin data of this handle's next event; fails after `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                response = await self.http.get(f"{self.url}/{self.session}", timeout=left)
            except httpx.TimeoutException:
                break
            event = response.json()
            if event.get("sender") == self.handle and "plugindata" in event:
                data: JsonDict = event["plugindata"]["data"]
                return data
        raise AssertionError(f"no event from Janus within {seconds} s")

    async def _post(self, path: str, message: JsonDict) -> JsonDict:
        message = {**message, "transaction": secrets.token_hex(6)}
        answer: JsonDict = (await self.http.post(self.url + path, json=message)).json()
        assert answer.get("janus") != "error", answer
        return answer
