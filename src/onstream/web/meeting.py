"""The lobby and the meeting room behind the links the API hands out.

- `/{username}/go/{token}`: an invitee's lobby; POST lets them in with their invitation's
  role, asking for nothing (the token is their credential).
- `/{username}/{key}`: the session's public lobby; POST checks a name and the passcode and
  lets the visitor in as a participant.
- `/{username}/host/{host_key}`: the owner's lobby (the `host_link` of GET session); POST
  lets them in as moderator.
- `/{username}/room/{secret}`: the room of one admission. Each render mints a short-lived
  Janus token for this one person and joins Janus with it; Janus itself refuses anybody
  else. `.../people` lists who was let in (names and roles; for moderators also who was
  removed) and whether the room records, `.../moderate` takes a moderator's mute, remove,
  readmit, record and end.

Letting in happens only while the room is open; before, the lobby counts down, after, it
says the meeting ended. A POST admits and redirects (303), so a reload never admits twice.
A person a moderator removed is refused by their lobby ("You were removed from this
meeting") until a moderator lets them back in: an invitee by their invitation, a guest of
the public page by the cookie that page set when it let them in.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC
from typing import Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from onstream.clock import utcnow
from onstream.config import Settings
from onstream.errors import DomainError
from onstream.invitees.models import ROLE_NAMES
from onstream.mail.calendar import calendar_part, event_uid_at
from onstream.meetings import cascade, placement, rules, service
from onstream.meetings import repository as rooms_repository
from onstream.meetings.changes import RoomChanges
from onstream.meetings.engine import JanusRooms, MeetingUnavailable
from onstream.meetings.models import Admission, Phase, Room
from onstream.services import Relay
from onstream.storage.database import Connection, Database, transaction
from onstream.storage.unit_of_work import unit_of_work
from onstream.throttle import Throttle
from onstream.web import gates, queries
from onstream.web.forms import read_form
from onstream.web.pages import meeting_context, not_found
from onstream.web.rendering import content_security_policy, render, script_json

T = TypeVar("T", covariant=True)


class Lookup(Protocol[T]):
    """A `web.queries` lookup of what a URL names under a login."""

    def __call__(self, conn: Connection, *, username: str, key: str) -> Awaitable[T | None]: ...


JOIN_WORDING = gates.Wording(
    missing="Please enter the session's passcode.",
    wrong="That passcode is not right. Check your invitation and try again.",
    no_name="Please enter your name, so the others know who joined.",
    name_label="Your name",
)
TOO_LARGE = "The form was too large. Please fill it in again."
ROOM_CSP_EXTRA = {
    "script-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self' blob: mediastream:",
    "img-src": "'self' data: blob:",
    "frame-src": "'self' https:",
}
LOBBY_CSP = content_security_policy(
    extra={"script-src": "'self'", "media-src": "'self' blob: mediastream:"}
)
MODERATOR_ACTIONS = frozenset(
    {"mute", "unmute", "remove", "readmit", "admit", "deny", "stage", "end", "record"}
)
REMOVED = "You were removed from this meeting."
GUEST_COOKIE = "onstream_guest_{session_id}"
"""The public page's cookie naming the guest admission it made in this browser, so a guest
a moderator removed is known when they come back (`service.removed_from`)."""
GUEST_COOKIE_SECONDS = 7 * 24 * 3600
UNAVAILABLE = "The meeting service is not available right now."

LEFT_REASONS = {
    "removed": "You are not in this meeting.",
    "ended": "This meeting has ended.",
    "unavailable": "The meeting service is not reachable right now.",
    "waiting": "You are waiting for a moderator to let you in.",
    "denied": "A moderator did not let you into this meeting.",
}
"""What the join config's JSON says when there is no room to join (`left.html` for pages)."""
NO_STORE = {"cache-control": "no-store"}
MIDS = {"audio": "0", "video": "1"}
"""The m-lines of a publisher of our room page: audio first, then video."""


@dataclass(frozen=True, slots=True)
class Entry:
    """How a visitor came to the lobby: which session, as whom, through which link."""

    meeting: queries.Meeting
    kind: str
    """"invitation", "public" or "host"."""
    role: int
    name: str
    email: str
    invitation_token: str | None = None


@dataclass(frozen=True, slots=True)
class Joined:
    """One join of an admission: the config its page joins Janus with, the shared files."""

    admission: Admission
    config: dict[str, object]
    files: list[queries.SharedFile]


@dataclass(frozen=True, slots=True)
class Refused:
    """Why an admission has no room to join: a `LEFT_REASONS` key and the HTTP status."""

    reason: str
    status: int


class MeetingPages:
    """The lobby, room and moderation handlers, sharing the database and the rooms; room
    changes reach Janus through `changes`, as every other change of a room does."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        rooms: JanusRooms,
        changes: RoomChanges,
        throttle: Throttle | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.rooms = rooms
        self.changes = changes
        self.throttle = throttle or Throttle(settings)

    # --- lobbies -------------------------------------------------------------------------

    async def personal(self, request: Request) -> Response:
        """An invitee's lobby; POST enters with the invitation's role."""
        invitation = await self._read(queries.invitation_by_token, request, "token")
        if invitation is None:
            return not_found()
        entry = Entry(
            meeting=invitation.meeting,
            kind="invitation",
            role=invitation.role,
            name=invitation.name,
            email=invitation.email,
            invitation_token=invitation.token,
        )
        if request.method == "POST":
            return await self._enter(request, entry)
        return await self._lobby(request, entry)

    async def public(self, request: Request) -> Response:
        """The session's public lobby; POST checks name and passcode, enters as participant."""
        meeting = await self._read(queries.meeting_by_key, request, "key")
        if meeting is None:
            return not_found()
        entry = Entry(meeting, "public", rules.PARTICIPANT, "", "")
        if request.method != "POST":
            return await self._lobby(request, entry)
        form = await read_form(request)
        if form is None:
            return await self._lobby(request, entry, errors=[TOO_LARGE], status=413)
        name = form.get("name", "").strip()
        entry = Entry(meeting, "public", rules.PARTICIPANT, name[: gates.NAME_MAX], "")
        guard = gates.Guard.of(self.throttle, request, kind="passcode", target=str(meeting.id))
        guessing = meeting.password is not None and bool(form.get("passcode"))
        wait = await guard.take() if guessing else None
        if wait is not None:
            page = await self._lobby(request, entry, errors=[gates.too_many(wait)], status=429)
            return gates.with_retry_after(page, wait)
        status, errors = gates.check(
            secret=meeting.password,
            given=form.get("passcode"),
            name=name,
            name_required=True,
            wording=JOIN_WORDING,
        )
        if status != 403:
            await guard.right()
        if errors:
            return await self._lobby(request, entry, errors=errors, status=status)
        return await self._enter(request, entry)

    async def host(self, request: Request) -> Response:
        """The owner's lobby; POST enters as moderator."""
        meeting = await self._read(queries.meeting_by_host_key, request, "key")
        if meeting is None:
            return not_found()
        entry = Entry(meeting, "host", rules.MODERATOR, meeting.owner_name, meeting.owner_email)
        if request.method == "POST":
            return await self._enter(request, entry)
        return await self._lobby(request, entry)

    async def calendar(self, request: Request) -> Response:
        """An invitee's session as an `.ics` event, for the lobby's "add to calendar" link."""
        invitation = await self._read(queries.invitation_by_token, request, "token")
        if invitation is None:
            return not_found()
        return self._ics(request, invitation.meeting, attendee=invitation.email)

    async def public_calendar(self, request: Request) -> Response:
        """The session of a public link as an `.ics` event."""
        meeting = await self._read(queries.meeting_by_key, request, "key")
        if meeting is None:
            return not_found()
        return self._ics(request, meeting, attendee=None)

    def _ics(self, request: Request, meeting: queries.Meeting, *, attendee: str | None) -> Response:
        # the server's own origin, never the request's Host (which the client chose)
        link = self.settings.public_base_url + request.url.path.removesuffix("/calendar.ics")
        body = calendar_part(
            method="PUBLISH",
            uid=event_uid_at(meeting.id, self.settings.public_base_url),
            sequence=meeting.sequence,
            summary=meeting.topic,
            start_utc=meeting.start_utc,
            duration_minutes=meeting.duration,
            url=link,
            description=f"Join: {link}",
            organizer_email=meeting.owner_email,
            attendee_email=attendee,
            stamp=utcnow(),
        )
        headers = {"content-disposition": 'attachment; filename="meeting.ics"'}
        return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)

    async def _lobby(
        self, request: Request, entry: Entry, *, errors: list[str] | None = None, status: int = 200
    ) -> Response:
        meeting = entry.meeting
        phase = self._phase(meeting, ended=await self._ended(meeting.id))
        async with transaction(self.database, write=False) as conn:
            files = await queries.shared_files(conn, meeting.id)
            room = await rooms_repository.room_of(conn, meeting.id)
        recorded = meeting.auto_record or (room is not None and room.recording)
        opens = rules.opens_at(meeting.start_utc, opens_minutes=self.settings.room_opens_minutes)
        context = {
            **meeting_context(meeting),
            "kind": entry.kind,
            "name": entry.name,
            "role": ROLE_NAMES.get(entry.role, "participant"),
            "asks_passcode": entry.kind == "public" and meeting.password is not None,
            "errors": errors or [],
            "phase": phase.value,
            "start_iso": meeting.start_utc.replace(tzinfo=UTC).isoformat(),
            "opens_iso": opens.replace(tzinfo=UTC).isoformat(),
            "files": files,
            "calendar_link": f"{request.url.path}/calendar.ics" if entry.kind != "host" else None,
            "available": self.rooms.available,
            "service": await self._service(phase),
            "opens_minutes": self.settings.room_opens_minutes,
            "removed": await self._removed(request, entry),
            "recorded": recorded,
            "knocks": entry.kind == "public" and meeting.waiting_room,
            # a waiting room's public lobby shows no code to dial round it
            **self._dial_in(meeting, hidden=entry.kind == "public" and meeting.waiting_room),
        }
        return render("lobby.html", context, status=status, csp=LOBBY_CSP)

    def _dial_in(self, meeting: queries.Meeting, *, hidden: bool = False) -> dict[str, object]:
        """The bridge's numbers and the session's code, for a session that has a code and a
        server that has numbers to call (`ONSTREAM_DIAL_IN_NUMBERS`); else nothing."""
        numbers = self.settings.dial_in_list
        if meeting.access_code is None or not numbers or hidden:
            return {"dial_in": (), "access_code": None}
        return {"dial_in": numbers, "access_code": meeting.access_code}

    async def _enter(self, request: Request, entry: Entry) -> Response:
        meeting = entry.meeting
        phase = self._phase(meeting, ended=await self._ended(meeting.id))
        if phase is not Phase.OPEN:
            message = (
                "The meeting room is not open yet."
                if phase is Phase.EARLY
                else "This meeting has ended."
            )
            return await self._lobby(request, entry, errors=[message], status=409)
        if await self._removed(request, entry):
            return await self._lobby(request, entry, status=403)
        if not self.rooms.available:
            return await self._lobby(
                request, entry, errors=["The meeting service is unavailable."], status=503
            )
        if not await self.rooms.live_servers():  # the lobby says so and keeps trying
            return await self._lobby(request, entry, status=503)
        async with transaction(self.database, write=True) as conn:
            if entry.kind == "public" and meeting.waiting_room:
                secret = await service.knock(
                    conn,
                    session_id=meeting.id,
                    name=entry.name,
                    replaces=self._guest_cookie(request, meeting.id),
                    now=utcnow(),
                )
            else:
                secret = await service.admit(
                    conn,
                    session_id=meeting.id,
                    role=entry.role,
                    name=entry.name,
                    source=entry.kind,
                    invitation_token=entry.invitation_token,
                    now=utcnow(),
                )
        login = request.path_params["username"]
        response = RedirectResponse(f"/{login}/room/{secret}", status_code=303)
        if entry.kind == "public":
            response.set_cookie(
                GUEST_COOKIE.format(session_id=meeting.id),
                secret,
                max_age=GUEST_COOKIE_SECONDS,
                path=f"/{login}/",
                httponly=True,
                samesite="lax",
                secure=self.settings.public_base_url.startswith("https://"),
            )
        return response

    async def _removed(self, request: Request, entry: Entry) -> bool:
        """Whether a moderator removed this visitor from the meeting (and did not let them
        back in): an invitee by their invitation, a guest by this browser's cookie. The
        owner's host link is never refused."""
        if entry.kind == "host":
            return False
        cookie = self._guest_cookie(request, entry.meeting.id)
        async with transaction(self.database, write=False) as conn:
            return await service.removed_from(
                conn,
                entry.meeting.id,
                invitation_token=entry.invitation_token,
                admission_secret=cookie if entry.kind == "public" else None,
            )

    @staticmethod
    def _guest_cookie(request: Request, session_id: int) -> str | None:
        """The secret of the guest admission the public page last made in this browser."""
        cookie = request.cookies.get(GUEST_COOKIE.format(session_id=session_id))
        return None if cookie is None or len(cookie) > queries.KEY_MAX else cookie

    # --- the room ------------------------------------------------------------------------

    async def room(self, request: Request) -> Response:
        """The room page of one admission, with a fresh Janus token for this join."""
        joined = await self._joined(request)
        if isinstance(joined, Refused) and joined.reason == "waiting":
            joined = await self._waiting(request)
        if isinstance(joined, Refused):
            return render("left.html", {"reason": joined.reason}, status=joined.status)
        admission, config, files = joined.admission, joined.config, joined.files
        context = {
            "topic": admission.topic,
            "name": admission.name,
            "role": ROLE_NAMES[admission.role],
            "moderator": admission.role == rules.MODERATOR,
            "files": files,
            "config": script_json(config),
        }
        csp = content_security_policy(extra=_room_csp(config["janus"]))
        return render("room.html", context, csp=csp)

    async def join(self, request: Request) -> Response:
        """The room page's join config as JSON, with a fresh token: what the page asks for
        to join again without a reload (after losing Janus, the room is created again)."""
        joined = await self._joined(request)
        if isinstance(joined, Refused):
            reason = joined.reason
            body = {"error": LEFT_REASONS[reason], "reason": reason}
            return JSONResponse(body, status_code=joined.status, headers=NO_STORE)
        return JSONResponse(joined.config, headers=NO_STORE)

    async def _joined(self, request: Request) -> Joined | Refused:
        """The admission with a fresh join config, or why there is nothing to join."""
        admission = await self._admission(request)
        if admission is None:
            return await self._refusal(request)
        if admission.session_deleted:
            return Refused("ended", 410)
        if admission.knocking:  # no token, nor even the room's number, until admitted
            return Refused("waiting", 403)
        try:
            room, token = await self._join(admission)
        except MeetingUnavailable:
            return Refused("unavailable", 503)
        if room is None:
            return Refused("ended", 410)
        login = request.path_params["username"]
        base = f"/{login}/room/{admission.secret}"
        async with transaction(self.database, write=False) as conn:
            files = await queries.shared_files(conn, admission.session_id)
        watch_from = room.server if admission.publishes else await self._watch_from(admission, room)
        index = self.rooms.servers.index(watch_from)
        config: dict[str, object] = {
            "janus": self._janus_url(watch_from, base),
            # the chat (and so who is present) stays on the room's own Janus
            "chatJanus": self._janus_url(room.server, base),
            "room": room.janus_room,
            "participant": admission.participant,
            "token": token,
            "name": admission.name,
            "role": ROLE_NAMES[admission.role],
            "publish": admission.publishes,
            "onStage": admission.on_stage,
            # an observer behind our relay only subscribes (the relay refuses them as publishers)
            "watchOnly": not admission.publishes and self.rooms.relayed(watch_from),
            "moderator": admission.role == rules.MODERATOR,
            "owner": admission.source == "host",
            "recording": room.recording,
            "iceServers": self.rooms.ice_servers,
            "lastN": self.rooms.last_n,
            "people": f"{base}/people",
            "moderate": f"{base}/moderate",
            "join": f"{base}/join",
            "autoOpen": [f.link for f in files if f.auto_open],
        }
        if self.rooms.websocket_target(index) is not None:
            # the page tries the WebSocket relay first, the long polls of `janus` if it fails
            config["janusWebSocket"] = f"{base}/janus/{index}/ws"
        return Joined(admission, config, files)

    def _janus_url(self, server: str, base: str) -> str:
        return self.rooms.public_url(server, f"{base}/janus/{self.rooms.servers.index(server)}")

    async def _watch_from(self, admission: Admission, room: Room) -> str:
        """The server this observer watches from (`meetings.cascade`), the room's
        publishers relayed there first. Only servers behind our relay take the room's
        observers (their page joins no room there, it only subscribes); when the relay is
        not made now, the observer watches from the room's own server."""
        live = [
            server
            for server in await self.rooms.live_servers()
            if server == room.server or self.rooms.relayed(server)
        ]
        async with transaction(self.database, write=True) as conn:
            server = await cascade.place(
                conn,
                admission_id=admission.id,
                session_id=admission.session_id,
                room_server=room.server,
                live=live,
                per_janus=self.settings.room_viewers_per_janus,
                now=utcnow(),
            )
        if server == room.server or await self.changes.apply(Relay(room.handle, to=server)):
            return server
        async with transaction(self.database, write=True) as conn:
            await rooms_repository.place_viewer(
                conn,
                admission_id=admission.id,
                session_id=admission.session_id,
                server=room.server,
                now=utcnow(),
            )
        return room.server

    async def _waiting(self, request: Request) -> Joined | Refused:
        """The room page of a guest who knocked: no Janus room, no token; the page asks
        `join` until a moderator admits them (then it joins without a reload) or denies
        them. The Janus address serves only the page's Content-Security-Policy."""
        admission = await self._admission(request)
        if admission is None or not admission.knocking:  # answered meanwhile: ask again
            return await self._joined(request)
        if not self.rooms.available:
            return Refused("unavailable", 503)
        base = f"/{request.path_params['username']}/room/{admission.secret}"
        async with transaction(self.database, write=False) as conn:
            files = await queries.shared_files(conn, admission.session_id)
            room = await rooms_repository.room_of(conn, admission.session_id)
        servers = self.rooms.servers
        server = room.server if room else service.server_for(admission.session_id, servers)
        config: dict[str, object] = {
            "waiting": True,
            "janus": self.rooms.public_url(server, f"{base}/janus/{servers.index(server)}"),
            "participant": admission.participant,
            "name": admission.name,
            "role": ROLE_NAMES[admission.role],
            "publish": admission.role in rules.PUBLISHING_ROLES,
            "moderator": False,
            "owner": False,
            "recording": False,
            "join": f"{base}/join",
        }
        return Joined(admission, config, files)

    async def people(self, request: Request) -> Response:
        """Who was let into the room (and not removed): Janus id, name, role; whether the
        room records now (the database's word, so everybody learns it within a poll); and,
        for moderators, who was removed and may be let back in."""
        admission = await self._admission(request)
        if admission is None:
            return JSONResponse({"error": "You are not in this meeting."}, status_code=404)
        if admission.knocking:
            refusal = {"error": LEFT_REASONS["waiting"], "reason": "waiting"}
            return JSONResponse(refusal, status_code=403, headers=NO_STORE)
        moderator = admission.role == rules.MODERATOR
        async with transaction(self.database, write=False) as conn:
            admitted = await rooms_repository.admitted(conn, admission.session_id)
            room = await rooms_repository.room_of(conn, admission.session_id)
            removed, waiting = [], []
            if moderator:
                removed = await rooms_repository.removed(conn, admission.session_id)
                waiting = await rooms_repository.knocking(conn, admission.session_id)
        body: dict[str, object] = {
            "people": [_person(a) for a in admitted],
            "recording": room is not None and room.recording,
        }
        if moderator:
            body["removed"] = [_person(a) for a in removed]
            body["waiting"] = [_person(a) for a in waiting]
        return JSONResponse(body, headers={"cache-control": "no-store"})

    async def moderate(self, request: Request) -> Response:
        """A moderator's action: mute/unmute a stream, remove a person or let them back in,
        record, end."""
        admission = await self._admission(request)
        if admission is None or admission.role != rules.MODERATOR:
            return JSONResponse({"error": "Only a moderator may do that."}, status_code=403)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            body = None
        action = body.get("action") if isinstance(body, dict) else None
        if action not in MODERATOR_ACTIONS:
            return JSONResponse({"error": "Unknown action."}, status_code=400)
        assert isinstance(body, dict)
        try:
            return await self._moderate(admission, action, body)
        except service.MeetingEnded as exc:
            return JSONResponse({"error": exc.message}, status_code=410)
        except DomainError as exc:
            return JSONResponse({"error": exc.message}, status_code=400)

    async def _moderate(
        self, admission: Admission, action: str, body: dict[str, object]
    ) -> Response:
        """The action written first, then applied to Janus (`meetings.changes`)."""
        on = body.get("on") is True
        moderation = service.Moderation(
            action=action,
            participant=body.get("participant"),
            kind=body.get("kind", "audio"),
            mid=body.get("mid"),
            on=on,
        )
        async with unit_of_work(self.database, write=True) as work:
            change = await service.moderate(
                work.conn,
                moderation,
                session_id=admission.session_id,
                now=utcnow(),
                recordings_root=self.rooms.recordings_root,
            )
        if change is not None and not await self.changes.apply(change):
            return JSONResponse({"error": UNAVAILABLE}, status_code=503)
        return JSONResponse({"ok": True, "recording": on} if action == "record" else {"ok": True})

    # --- shared ----------------------------------------------------------------------------

    async def _read(self, lookup: Lookup[T], request: Request, key: str) -> T | None:
        """A page's read-only lookup by the URL's login and secret segment `key`."""
        async with transaction(self.database, write=False) as conn:
            return await lookup(
                conn, username=request.path_params["username"], key=request.path_params[key]
            )

    async def _admission(self, request: Request) -> Admission | None:
        """The live admission the URL names (None when unknown, revoked or another owner's)."""
        secret = request.path_params["secret"]
        if not secret or len(secret) > queries.KEY_MAX:
            return None
        async with transaction(self.database, write=False) as conn:
            admission = await rooms_repository.admission_by_secret(
                conn, login=request.path_params["username"], secret=secret
            )
        return None if admission is None or admission.revoked else admission

    async def _refusal(self, request: Request) -> Refused:
        """Why the URL names no live admission: the meeting's end let it out (a reload of an
        ended room says the meeting ended), a moderator denied this knock, or it was
        removed (or never was)."""
        secret = request.path_params["secret"]
        if not secret or len(secret) > queries.KEY_MAX:
            return Refused("removed", 404)
        async with transaction(self.database, write=False) as conn:
            admission = await rooms_repository.admission_by_secret(
                conn, login=request.path_params["username"], secret=secret
            )
        if admission is None:
            return Refused("removed", 404)
        if admission.session_deleted or await self._ended(admission.session_id):
            return Refused("ended", 410)
        if admission.waiting and admission.removed:
            return Refused("denied", 403)
        return Refused("removed", 404)

    async def _join(self, admission: Admission) -> tuple[Room | None, str]:
        """Open the room (once) and mint this person's token; (None, "") when it ended."""
        phase = rules.phase(
            utcnow(),
            start_utc=admission.start_utc,
            duration=admission.duration,
            opens_minutes=self.settings.room_opens_minutes,
            grace_minutes=self.settings.room_grace_minutes,
            ended=False,
        )
        if not self.rooms.available:
            raise MeetingUnavailable("The meeting service is unavailable.")
        if phase is Phase.ENDED:
            return None, ""
        async with transaction(self.database, write=True) as conn:
            room = await service.open_room(
                conn,
                session_id=admission.session_id,
                server=service.server_for(admission.session_id, self.rooms.servers),
                auto_record=admission.auto_record,
                now=utcnow(),
            )
            if room.ended_at is not None:
                return None, ""
            token = await service.mint_token(
                conn, admission, lifetime_seconds=self.settings.room_token_seconds, now=utcnow()
            )
        room = await placement.placed(self.database, self.rooms, room, description=admission.topic)
        await self.rooms.allow(room.handle, token)
        return room, token

    async def _ended(self, session_id: int) -> bool:
        async with transaction(self.database, write=False) as conn:
            room = await rooms_repository.room_of(conn, session_id)
        return room is not None and room.ended_at is not None

    async def _service(self, phase: Phase) -> str:
        """The meeting service as the lobby shows it: "none" (no Janus configured), "down"
        (configured, none answers now: the lobby keeps asking) or "up"."""
        if not self.rooms.available:
            return "none"
        if phase is Phase.ENDED:
            return "up"  # nobody enters any more: no need to ask Janus
        return "up" if await self.rooms.live_servers() else "down"

    def _phase(self, meeting: queries.Meeting, *, ended: bool) -> Phase:
        return rules.phase(
            utcnow(),
            start_utc=meeting.start_utc,
            duration=meeting.duration,
            opens_minutes=self.settings.room_opens_minutes,
            grace_minutes=self.settings.room_grace_minutes,
            ended=ended,
        )


def _person(admission: Admission) -> dict[str, object]:
    """One person as the room page's list shows them."""
    person: dict[str, object] = {
        "participant": admission.participant,
        "name": admission.name,
        "role": ROLE_NAMES[admission.role],
    }
    if admission.on_stage:
        person["onStage"] = True
    return person


def _room_csp(janus_url: object) -> dict[str, str]:
    """The room's policy: our scripts, and connections to us and to a public Janus."""
    extra = dict(ROOM_CSP_EXTRA)
    url = str(janus_url)
    if url.startswith(("http://", "https://")):
        origin = "/".join(url.split("/")[:3])
        extra["connect-src"] = f"'self' {origin}"
    return extra
