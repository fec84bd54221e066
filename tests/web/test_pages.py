"""The personal link and the join page over real HTTP (CONTRACT §5, §6, §9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from icalendar import Calendar

from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.web.helpers import invite, login_of, new_session

NOT_FOUND = "This link leads to no session"


def assert_page_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp  # only the server's own script files may run
    assert "unsafe-eval" not in csp
    assert response.headers["cache-control"] == "no-store"


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert NOT_FOUND in response.text
    assert_page_headers(response)


def visible_text(html: str) -> str:
    """The page's text with tags dropped and white space collapsed, for phrase checks."""
    body = html.split("</style>", 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


# --- the personal one-click link ---------------------------------------------------------


def test_personal_link_shows_the_invitation(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Season review", password="s3cret")
    _, link = invite(owner, created.id)
    response = server.get(link)
    assert response.status_code == 200, response.text
    assert_page_headers(response)
    text = visible_text(response.text)
    assert "Season review" in text
    assert "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in text
    assert "45 minutes" in text
    assert "Robin van Persie moderator" in text
    assert 'method="post"' in response.text
    assert "Join now" in text
    assert 'name="passcode"' not in response.text  # the token is the credential
    assert '<meta name="viewport"' in response.text


def test_join_now_before_the_room_opens_says_so(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Season review", password="s3cret")
    _, link = invite(owner, created.id, role=3)
    response = server.post(link, follow_redirects=False)
    assert response.status_code == 409, response.text
    assert_page_headers(response)
    text = visible_text(response.text)
    assert "The meeting room is not open yet." in text
    assert "Season review" in text
    assert "Robin van Persie observer" in text


def test_time_in_the_session_zone(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, timezone="UM5", start_time="2030-01-15 09:30:00", duration=90)
    _, link = invite(owner, created.id)
    text = visible_text(server.get(link).text)
    assert "Tuesday, 15 January 2030, America/New_York · 09:30 EST" in text
    assert "1 hour 30 minutes" in text


def test_unknown_token_is_404(owner: httpx.Client, server: Server) -> None:
    created = new_session(owner)
    assert_not_found(server.get(f"{server.base_url}/{created.login}/go/no-such-token"))
    assert_not_found(server.post(f"{server.base_url}/{created.login}/go/no-such-token"))
    assert_not_found(server.get(f"{server.base_url}/{created.login}/go/{'x' * 500}"))


def test_token_under_another_username_is_404(
    server: Server, owner: httpx.Client, make_account: MakeAccount
) -> None:
    created = new_session(owner)
    _, link = invite(owner, created.id)
    other = make_account()
    for username in (login_of(other), "nobody-at-all"):
        wrong = link.replace(f"/{created.login}/go/", f"/{username}/go/")
        assert wrong != link
        assert_not_found(server.get(wrong))
        assert_not_found(server.post(wrong))


def test_revoked_invitation_is_404(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner)
    user_id, link = invite(owner, created.id)
    assert server.get(link).status_code == 200
    ok(rest(owner, "DELETE", "invitee", {"session_id": created.id, "user_id": user_id}))
    assert_not_found(server.get(link))
    assert_not_found(server.post(link))


def test_deleted_session_is_404_on_both_links(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, friendly_url="to-be-cancelled")
    _, link = invite(owner, created.id)
    key_link = created.session_link.replace("/to-be-cancelled", f"/{created.session_key}")
    for url in (link, created.session_link, key_link):
        assert server.get(url).status_code == 200, url
    ok(rest(owner, "DELETE", "session", {"id": created.id}))
    for url in (link, created.session_link, key_link):
        assert_not_found(server.get(url))
        assert_not_found(server.post(url, data={"name": "Late comer"}))


# --- the join page -----------------------------------------------------------------------


def test_join_page_by_friendly_url_and_by_session_key(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Open day", friendly_url="open-day")
    assert created.session_link.endswith(f"/{created.login}/open-day")
    for url in (
        created.session_link,
        created.session_link.replace("open-day", created.session_key),
    ):
        response = server.get(url)
        assert response.status_code == 200, response.text
        assert_page_headers(response)
        text = visible_text(response.text)
        assert "Open day" in text
        assert "Wednesday, 10 July 2030, Europe/Berlin · 18:00 CEST" in text
        assert "45 minutes" in text
        assert 'name="name"' in response.text
        assert 'name="passcode"' not in response.text


def test_join_without_passcode(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Open day")
    response = server.post(created.session_link, data={"name": "  Thierry Henry  "})
    assert response.status_code == 409, response.text  # right answers, but not open yet
    assert_page_headers(response)
    text = visible_text(response.text)
    assert "The meeting room is not open yet." in text
    assert 'value="Thierry Henry"' in response.text


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_join_needs_a_name_of_1_to_100_characters(
    server: Server, owner: httpx.Client, name: str
) -> None:
    created = new_session(owner)
    response = server.post(created.session_link, data={"name": name})
    assert response.status_code == 400, response.text
    assert_page_headers(response)
    assert 'role="alert"' in response.text
    assert "You are in the session" not in response.text
    assert server.post(created.session_link, data={"name": "x" * 100}).status_code == 409


def test_passcode_session(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Board meeting", password="päss word")
    page = server.get(created.session_link)
    assert 'name="passcode"' in page.text
    assert "päss word" not in page.text
    for data in (
        {"name": "Eve"},
        {"name": "Eve", "passcode": "wrong"},
        {"name": "Eve", "passcode": ""},
    ):
        response = server.post(created.session_link, data=data)
        assert response.status_code == 403, response.text
        assert_page_headers(response)
        assert 'role="alert"' in response.text
        assert 'name="passcode"' in response.text
        assert 'value="Eve"' in response.text  # the name is kept, the passcode is not
        assert "You are in the session" not in response.text
    response = server.post(created.session_link, data={"name": "", "passcode": "wrong"})
    assert response.status_code == 403  # the passcode outranks the name
    response = server.post(created.session_link, data={"name": "", "passcode": "päss word"})
    assert response.status_code == 400
    response = server.post(created.session_link, data={"name": "Dennis", "passcode": "päss word"})
    assert response.status_code == 409, response.text
    assert "The meeting room is not open yet." in visible_text(response.text)


def test_join_page_of_unknown_user_or_key_is_404(
    owner: httpx.Client, server: Server, make_account: MakeAccount
) -> None:
    created = new_session(owner, friendly_url="weekly")
    other = make_account()
    other_login = login_of(other)
    assert_not_found(server.get(f"{server.base_url}/{created.login}/no-such-session"))
    assert_not_found(server.get(f"{server.base_url}/nobody-at-all/weekly"))
    assert_not_found(server.get(f"{server.base_url}/{other_login}/weekly"))
    assert_not_found(server.get(f"{server.base_url}/{other_login}/{created.session_key}"))
    assert_not_found(server.post(f"{server.base_url}/{other_login}/weekly", data={"name": "A"}))


def test_oversized_form_is_refused(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner)
    response = server.post(created.session_link, data={"name": "A", "pad": "x" * 20_000})
    assert response.status_code == 413
    assert "You are in the session" not in response.text


# --- escaping ----------------------------------------------------------------------------


def test_topic_and_names_are_escaped(server: Server, owner: httpx.Client) -> None:
    topic = '<script>alert(1)</script> & "quotes"'
    created = new_session(owner, topic=topic)
    _, link = invite(
        owner,
        created.id,
        email="escape@example.com",
        first_name="<b>Robin</b>",
        last_name="<script>x</script>",
    )
    responses = [
        server.get(link),
        server.post(link),
        server.get(created.session_link),
        server.post(created.session_link, data={"name": "<script>alert(2)</script>"}),
        server.post(created.session_link, data={"name": '"><script>alert(3)</script>' + "x" * 100}),
    ]
    for response in responses:
        assert response.status_code in (200, 400, 409), response.text
        # no script but the lobby's own module
        pattern = r'<script(?! type="module" src="/static/lobby\.js"></script>)'
        assert re.search(pattern, response.text) is None
        assert "<b>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in response.text
    assert "&lt;b&gt;Robin&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;" in responses[0].text
    assert 'value="&lt;script&gt;alert(2)&lt;/script&gt;"' in responses[3].text
    assert 'value="&#34;&gt;&lt;script&gt;' in responses[4].text


# --- the server's own paths --------------------------------------------------------------


def test_api_and_health_keep_their_routes(owner: httpx.Client, server: Server) -> None:
    assert server.get(f"{server.base_url}/health").text == "ok"
    assert ok(owner.get("sessions/format/json"))["sessions"]
    response = server.get(f"{server.base_url}/api/2/alice/sessions")
    assert response.status_code == 401  # the API's answer, not a join page


@pytest.mark.parametrize("first", ["api", "play", "go", "account", "static", "health", "API"])
def test_reserved_first_segments_are_never_usernames(server: Server, first: str) -> None:
    for path in (f"/{first}/something", f"/{first}/go/token"):
        response = server.get(f"{server.base_url}{path}")
        assert NOT_FOUND not in response.text, path
        assert 'name="name"' not in response.text, path


# --- the meeting room without a meeting service --------------------------------------------


def test_without_janus_the_lobby_says_unavailable_and_the_api_works(
    server: Server, owner: httpx.Client
) -> None:
    now = datetime.now(UTC)
    created = new_session(owner, start_time=f"{now:%Y-%m-%d %H:%M:%S}", timezone="UTC")
    _, link = invite(owner, created.id)
    lobby = server.get(link)
    assert "The meeting service is unavailable right now." in visible_text(lobby.text)
    response = server.post(link, follow_redirects=False)
    assert response.status_code == 503
    assert "The meeting service is unavailable." in visible_text(response.text)
    assert ok(rest(owner, "DELETE", "session", {"id": created.id}))["message"] == (
        "Session was deleted"
    )


def test_host_link_is_the_owners_and_enters_as_moderator(
    server: Server, owner: httpx.Client
) -> None:
    created = new_session(owner, topic="Hosted")
    (session,) = ok(owner.get(f"session/id/{created.id}/return/host_link/format/json"))["sessions"]
    host = session["host_link"]
    assert host.startswith(f"{created.session_link.rsplit('/', 1)[0]}/host/")
    page = server.get(host)
    assert page.status_code == 200
    assert "Start the meeting" in visible_text(page.text)
    assert_not_found(server.get(host[:-3] + "xyz"))
    assert_not_found(server.get(host.replace(f"/{created.login}/", "/someone-else/")))


def test_room_pages_of_unknown_admissions_are_not_found(
    owner: httpx.Client, server: Server
) -> None:
    login = login_of(owner)
    response = server.get(f"{server.base_url}/{login}/room/no-such-admission")
    assert response.status_code == 404
    assert "You are not in this meeting" in visible_text(response.text)
    moderate = server.post(
        f"{server.base_url}/{login}/room/no-such-admission/moderate", json={"action": "end"}
    )
    assert moderate.status_code == 403
    people = server.get(f"{server.base_url}/{login}/room/no-such-admission/people")
    assert people.status_code == 404


def test_lobbies_offer_the_session_as_a_calendar_event(server: Server, owner: httpx.Client) -> None:
    created = new_session(owner, topic="Calendar day", friendly_url="calendar-day")
    _, link = invite(owner, created.id, email="cal@example.com")
    for url, attendee in ((link, "cal@example.com"), (created.session_link, None)):
        assert f'href="{httpx.URL(url).path}/calendar.ics"' in server.get(url).text
        response = server.get(f"{url}/calendar.ics")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        (event,) = Calendar.from_ical(response.content).walk("VEVENT")
        assert str(event["summary"]) == "Calendar day"
        assert event.decoded("dtstart") == datetime(2030, 7, 10, 16, 0, tzinfo=UTC)
        assert str(event["uid"]).startswith(f"session-{created.id}@")
        assert (attendee is None) == ("attendee" not in event)
    assert_not_found(server.get(f"{created.session_link}-nope/calendar.ics"))
