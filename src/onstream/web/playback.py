"""The playback page behind every `recording_link` (CONTRACT §8, §9).

- `/play/{id}-{slug}`: the page. Another slug (a renamed recording, a typo) answers 301 to the
  current one; an unknown or deleted recording, 404. When the recording has a password the
  page asks for it, and for a screen name unless anonymous playback is on (the password is
  asked regardless of that flag, as the documentation says). A right answer sets a signed
  pass (`web.passes`) and redirects back (303), so reloading never re-posts the form; the
  page then shows an HTML5 `<video>`, or `<audio>` for sound, playing `/play/{id}/media`.
  A recording made from a meeting plays from its tracks (`recordings.timeline`): every
  person's video in a tile, every audio track at its offset, all driven by one clock in
  `static/playback.js`; it plays within seconds of the meeting's end.
- `/play/{id}/tracks/{track_id}`: one track's file, for that player; a track of another
  recording is 404.
- `/play/{id}/media`: the recording's one file, with byte ranges (`media.ranges`) so players
  can seek: the download. A meeting's recording gets it once the background composition is
  done; until then this answers 409 ("being prepared") and the page plays the tracks.
  Both serve exactly when the page would show the player: without a valid pass, a recording
  that asks for a password or a name gets 403 and not one byte.

Pages read in a read-only transaction and write nothing; the form needs no CSRF token, since
all it can do is set the visitor's own pass.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from onstream.config import Settings
from onstream.media import content_types
from onstream.media.ranges import media_response
from onstream.media.store import MediaStore
from onstream.protocol.params import ID_MAX
from onstream.recordings import rules, service, timeline
from onstream.recordings.models import Recording, Track
from onstream.storage.database import Database, transaction
from onstream.storage.secrets import PLAYBACK_KEY, read_secret
from onstream.throttle import Throttle
from onstream.web import gates
from onstream.web.forms import read_form
from onstream.web.passes import COOKIE_PATH, LIFETIME_SECONDS, PassSigner, cookie_name
from onstream.web.rendering import content_security_policy, render, script_json

PLAYER_CSP = content_security_policy(media=True)
TRACKS_CSP = content_security_policy(media=True, extra={"script-src": "'self'"})
PREPARING = (
    "The recording's downloadable file is being prepared; its page plays it meanwhile. "
    "Please try again in a few minutes."
)
GATE_WORDING = gates.Wording(
    missing="Please enter the recording's password.",
    wrong="That password is not right. Please try again.",
    no_name="Please enter a screen name.",
    name_label="Your screen name",
)
_REF = re.compile(r"([0-9]{1,10})(?:-(.*))?", re.DOTALL)
MEDIA_HEADERS = {
    "cache-control": "private, no-cache",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
}


def playback_routes(
    *,
    database: Database,
    settings: Settings,
    store: MediaStore,
    throttle: Throttle | None = None,
) -> list[BaseRoute]:
    """The playback routes; `create_app` lists them before any `/{username}/...` route."""
    pages = PlaybackPages(database=database, settings=settings, store=store, throttle=throttle)
    return [
        Route("/play/{recording_id:int}/media", pages.media, methods=["GET", "HEAD"]),
        Route(
            "/play/{recording_id:int}/tracks/{track_id:int}", pages.track, methods=["GET", "HEAD"]
        ),
        Route("/play/{ref}", pages.page, methods=["GET", "HEAD", "POST"]),
    ]


class PlaybackPages:
    """The handlers, sharing the database, the media store and the pass signer."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        store: MediaStore,
        throttle: Throttle | None = None,
    ) -> None:
        self.database = database
        self.store = store
        self.throttle = throttle or Throttle(settings)
        self.secure = settings.public_base_url.startswith("https://")
        self._signer = PassSigner(settings.secret_key) if settings.secret_key else None

    async def page(self, request: Request) -> Response:
        """GET: the gate or the player. POST: check the gate's answers, set the pass."""
        match = _REF.fullmatch(request.path_params["ref"])
        recording = await self._recording(int(match.group(1))) if match else None
        if match is None or recording is None:
            return not_found_page()
        canonical = rules.playback_path(recording.id, recording.title)
        if request.url.path != canonical:
            return RedirectResponse(canonical, status_code=301)
        if request.method == "POST":
            return await self._answer_gate(request, recording, canonical)
        admitted, name = await self._admitted(request, recording)
        if not admitted:
            return gate_page(recording, name="", errors=[])
        async with transaction(self.database, write=False) as conn:
            tracks = await service.tracks(conn, recording.id)
        media_path = f"/play/{recording.id}/media"
        if tracks:
            return tracks_page(recording, tracks, name=name, media_path=media_path)
        return player_page(recording, name=name, media_path=media_path)

    async def media(self, request: Request) -> Response:
        """The media bytes, for a visitor the page would show the player to."""
        recording = await self._recording(request.path_params["recording_id"])
        if recording is None:
            return PlainTextResponse("No such recording.", status_code=404)
        admitted, _ = await self._admitted(request, recording)
        if not admitted:
            return PlainTextResponse(
                "Open the recording's page and answer its questions first.", status_code=403
            )
        size = None
        if recording.media_key is not None:
            size = await self.store.size(recording.media_key)
        if recording.media_key is None:
            async with transaction(self.database, write=False) as conn:
                tracks = await service.tracks(conn, recording.id)
            if tracks:
                return PlainTextResponse(PREPARING, status_code=409, headers={"retry-after": "60"})
        if recording.media_key is None or size is None:
            return PlainTextResponse("This recording has no media.", status_code=404)
        return media_response(
            request,
            self.store,
            key=recording.media_key,
            size=size,
            content_type=recording.media_type or content_types.DEFAULT,
            headers=MEDIA_HEADERS,
        )

    async def track(self, request: Request) -> Response:
        """One track's bytes, for a visitor the page would show the player to."""
        recording = await self._recording(request.path_params["recording_id"])
        if recording is None:
            return PlainTextResponse("No such recording.", status_code=404)
        admitted, _ = await self._admitted(request, recording)
        if not admitted:
            return PlainTextResponse(
                "Open the recording's page and answer its questions first.", status_code=403
            )
        async with transaction(self.database, write=False) as conn:
            tracks = await service.tracks(conn, recording.id)
        found = next((t for t in tracks if t.id == request.path_params["track_id"]), None)
        size = await self.store.size(found.media_key) if found is not None else None
        if found is None or size is None:
            return PlainTextResponse("No such track.", status_code=404)
        return media_response(
            request,
            self.store,
            key=found.media_key,
            size=size,
            content_type=found.media_type,
            headers=MEDIA_HEADERS,
        )

    async def _recording(self, recording_id: int) -> Recording | None:
        if not 1 <= recording_id <= ID_MAX:
            return None
        async with transaction(self.database, write=False) as conn:
            return await service.playable(conn, recording_id)

    async def _admitted(self, request: Request, recording: Recording) -> tuple[bool, str]:
        """Whether this visitor may watch, and the screen name they gave."""
        if recording.password is None and recording.allow_anonymous_playback:
            return True, ""
        signer = await self._pass_signer()
        found = signer.check(
            recording, request.cookies.get(cookie_name(recording.id)), now=int(time.time())
        )
        if found is None or (not recording.allow_anonymous_playback and not found.name):
            return False, ""
        return True, found.name

    async def _answer_gate(
        self, request: Request, recording: Recording, canonical: str
    ) -> Response:
        form = await read_form(request) or {}
        name = form.get("name", "").strip()
        guard = await self._guard(request, recording)
        guessing = recording.password is not None and bool(form.get("password"))
        wait = await guard.take() if guessing else None
        if wait is not None:
            page = gate_page(
                recording, name=name[: gates.NAME_MAX], errors=[gates.too_many(wait)], status=429
            )
            return gates.with_retry_after(page, wait)
        status, errors = gates.check(
            secret=recording.password,
            given=form.get("password"),
            name=name,
            name_required=not recording.allow_anonymous_playback,
            wording=GATE_WORDING,
        )
        if status != 403:
            await guard.right()
        if errors:
            return gate_page(recording, name=name[: gates.NAME_MAX], errors=errors, status=status)
        if recording.allow_anonymous_playback:
            name = ""
        signer = await self._pass_signer()
        value = signer.issue(recording, name=name, now=int(time.time()))
        response = RedirectResponse(canonical, status_code=303)
        response.set_cookie(
            cookie_name(recording.id),
            value,
            max_age=LIFETIME_SECONDS,
            path=COOKIE_PATH,
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def _guard(self, request: Request, recording: Recording) -> gates.Guard:
        """The rate limit of this recording's password: the session's passcode counter while
        the recording still has its session's passcode (one secret, one count), else its own."""
        inherited = False
        if recording.password is not None:
            async with transaction(self.database, write=False) as conn:
                inherited = await service.has_session_passcode(conn, recording)
        if inherited:
            target = str(recording.session_id)
            return gates.Guard.of(self.throttle, request, kind="passcode", target=target)
        return gates.Guard.of(self.throttle, request, kind="playback", target=str(recording.id))

    async def _pass_signer(self) -> PassSigner:
        """The signer, keyed by `ONSTREAM_SECRET_KEY` or else the database's generated key."""
        if self._signer is None:
            async with transaction(self.database, write=False) as conn:
                self._signer = PassSigner(await read_secret(conn, PLAYBACK_KEY))
        return self._signer


def length(duration_ms: int) -> str:
    """`0:25`, `12:05`, `1:02:03`: the recording's length as players show it."""
    minutes, seconds = divmod(round(duration_ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def _about(recording: Recording) -> dict[str, str | None]:
    return {
        "title": recording.title,
        "description": recording.description,
        "length": length(recording.duration_ms),
    }


def gate_page(
    recording: Recording, *, name: str, errors: list[str], status: int = 200
) -> HTMLResponse:
    """The questions to answer before watching, with what was wrong with the last answers."""
    context = {
        **_about(recording),
        "asks_password": recording.password is not None,
        "asks_name": not recording.allow_anonymous_playback,
        "name": name,
        "errors": errors,
    }
    return render("play/gate.html", context, status=status)


def player_page(recording: Recording, *, name: str, media_path: str) -> HTMLResponse:
    """The player, or a note that the recording has no media."""
    context = {
        **_about(recording),
        "name": name,
        "has_media": recording.media_key is not None,
        "element": content_types.player_element(recording.media_type),
        "media_path": media_path,
    }
    return render("play/player.html", context, csp=PLAYER_CSP)


def tracks_page(
    recording: Recording, tracks: Sequence[Track], *, name: str, media_path: str
) -> HTMLResponse:
    """The player of a recording's tracks, laid out in time, and its download once made."""
    laid_out = timeline.lay_out(tracks, src=lambda track: f"/play/{recording.id}/tracks/{track.id}")
    context = {
        **_about(recording),
        "name": name,
        "timeline": laid_out,
        "timeline_json": script_json(laid_out.as_json()),
        "composed": recording.media_key is not None,
        "media_path": media_path,
    }
    return render("play/tracks.html", context, csp=TRACKS_CSP)


def not_found_page() -> HTMLResponse:
    """The one 404 page for a playback link that leads nowhere, whatever the reason."""
    return render("play/not_found.html", status=404)
