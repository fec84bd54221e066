"""People by name: the owner by their account's name (never the login) in the lobby and the
invitation; an invitee by the names they were invited with, and in their own e-mail, when
invited without names, by their own account's name."""

from __future__ import annotations

import httpx

from tests.conftest import MakeAccount
from tests.mail.test_delivery import text_of, to
from tests.support.api import ok, rest
from tests.support.server import Server
from tests.support.smtp import SmtpServer
from tests.web.account.helpers import signed_in
from tests.web.helpers import invite, login_of, new_session
from tests.web.test_pages import visible_text


def named(client: httpx.Client, first: str, last: str) -> httpx.Client:
    ok(rest(client, "POST", "user", {"first_name": first, "last_name": last}))
    return client


def test_lobbies_name_the_owner_by_their_account_name(
    server: Server, make_account: MakeAccount
) -> None:
    owner = named(make_account(), "Dana", "Reyes")
    created = new_session(owner, topic="Named lobby")
    _, link = invite(owner, created.id, first_name="Gia", last_name="Guest")
    personal = visible_text(server.get(link).text)
    assert "Invited Gia Guest moderator Invited by Dana Reyes" in personal
    assert login_of(owner) not in personal
    public = visible_text(server.get(created.session_link).text)
    assert "Host Dana Reyes" in public
    assert login_of(owner) not in public.replace(created.session_link, "")


def test_an_invitee_without_names_is_greeted_by_their_own_accounts_name(
    server: Server, make_account: MakeAccount, smtp: SmtpServer
) -> None:
    owner = named(make_account(), "Dana", "Reyes")
    guest = named(make_account(), "Sam", "Lee")
    address = f"{login_of(guest)}@example.com"  # verified: set by the operator
    created = new_session(owner, topic="Names from accounts")
    _, link = invite(owner, created.id, email=address, first_name="", last_name="",
                     send_email_invitation=1)  # fmt: skip
    # The lobby is open to whoever holds the link, the owner too: it never shows the name of
    # the account behind an address, or inviting addresses would tell who has an account.
    lobby = visible_text(server.get(link).text)
    assert f"Invited {address} moderator Invited by Dana Reyes" in lobby
    assert "Sam Lee" not in lobby
    # The e-mail reaches only the address's owner: it greets them by their account's name.
    (mail,) = smtp.sink.wait_for(to(address))
    assert str(mail["To"]) == f"Sam Lee <{address}>"
    plain = text_of(mail)
    assert "Hello Sam Lee," in plain
    assert "You are invited by Dana Reyes to a web conference." in plain
    # Withdrawn, the person's mail is listed on the owner's session page by address alone.
    user_id = ok(owner.get(f"invitees/id/{created.id}/format/json"))["moderators"][0]["id"]
    ok(rest(owner, "DELETE", "invitee", {"session_id": created.id, "user_id": user_id}))
    smtp.sink.wait_for(to(address), count=2)
    with signed_in(server, login_of(owner), f"{login_of(owner)}-password") as browser:
        page = visible_text(browser.get(f"/account/sessions/{created.id}").text)
    assert f"{address} Cancellation (invitation withdrawn)" in page
    assert "Sam Lee" not in page
    # Names given when inviting win over the account's own.
    other = new_session(owner, topic="Names as invited")
    stranger = f"nobody-{login_of(guest)}@example.com"
    _, plain_link = invite(owner, other.id, email=stranger, first_name="", last_name="")
    assert f"Invited {stranger} moderator" in visible_text(server.get(plain_link).text)
