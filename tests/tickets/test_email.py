"""Email on updates through the outbox to a real SMTP server (aiosmtpd), and replies by
email: real RFC 5322 messages in, comments out, forgeries refused with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import Result
from sqlalchemy import func, select

from app.mail_cli import mail_group
from runtime.flows.models import OutboxMessage, OutboxStatus
from runtime.flows.outbox import RunnerSettings, configure, deliver_message
from runtime.inbound import Rejected, ingest_message, reply_address, signature
from runtime.notifications import Kind, Notification, set_email_choices
from runtime.tickets.comments import add_comment
from runtime.tickets.models import TicketEvent
from tests.outbound.conftest import free_port
from tests.outbound.test_mail import Inbox

SECRET = "test-reply-secret"
MAIL_FROM = "desk@docket.test"


@pytest.fixture
def smtp(session_factory) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server, and the outbox configured to send through it."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    configure(RunnerSettings(session_factory=session_factory, redis_url=None,
                             smtp_url=f"smtp://127.0.0.1:{port}", mail_from=MAIL_FROM,
                             extra={"reply_secret": SECRET}))
    try:
        yield inbox, port
    finally:
        controller.stop()


def _message(*, sender: str, to: str, body: str, subject: str = "Re: Update") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = "<reply-1@mail.example.com>"
    msg.set_content(body)
    return bytes(msg)


def _comment_count(session) -> int:
    return session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == "comment")) or 0


def test_reply_email_goes_through_outbox_to_smtp_with_reply_to(desk, smtp):
    """An agent's reply becomes an outbox row in the request's transaction; the job sends it
    to the SMTP server with a signed Reply-To; answering that mail lands on the ticket."""
    inbox, _port = smtp
    s, ticket = desk.session, desk.new_ticket()
    add_comment(session=s, ticket=ticket, author=desk.agent, body="Try turning it off.")
    s.commit()
    assert inbox.messages == []  # nothing is sent inside the transaction
    [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert deliver_message(row.id) == "delivered"
    s.expire_all()
    assert s.get(OutboxMessage, row.id).status == OutboxStatus.DONE
    sent = inbox.parsed(0)
    assert sent["To"] == "req@example.com"
    assert f"#{ticket.number}" in sent["Subject"]
    assert "Try turning it off." in sent.get_content()
    reply_to = sent["Reply-To"]
    assert reply_to == reply_address(ticket.number, secret=SECRET, mail_from=MAIL_FROM)
    assert deliver_message(row.id) == "skipped"  # a duplicate job sends nothing
    assert len(inbox.messages) == 1

    answer = EmailMessage()
    answer["From"], answer["To"] = "Req <req@example.com>", reply_to
    answer["Subject"] = "Re: " + sent["Subject"]
    answer.set_content("It works now, thanks!\n\nOn Mon, Docket wrote:\n> Try turning it off.\n")
    result = ingest_message(session=s, raw=bytes(answer), secret=SECRET)
    s.commit()
    comment = s.get(TicketEvent, result.comment_id)
    assert comment.ticket_id == ticket.id and comment.actor_id == desk.requester.id
    assert comment.payload["body"] == "It works now, thanks!"
    assert comment.payload["channel"] == "email" and not comment.payload["internal"]


def test_watcher_may_reply_by_email(desk):
    """A watcher's reply is accepted too."""
    from runtime.tickets.changes import add_watcher

    s, ticket = desk.session, desk.new_ticket()
    add_watcher(session=s, ticket=ticket, actor=desk.agent, email="other@example.com")
    to = reply_address(ticket.number, secret=SECRET, mail_from=MAIL_FROM)
    result = ingest_message(session=s, raw=_message(sender="other@example.com", to=to,
                                                    body="Same here."), secret=SECRET)
    assert result.sender == "other@example.com"


@pytest.mark.parametrize(("case", "reason"), [
    ("forged", "neither the requester"),
    ("stranger", "not a Docket user"),
    ("bad_token", "not valid"),
    ("unknown_ticket", "There is no ticket 99999"),
    ("no_token", "No ticket reply address"),
    ("auto", "Automatic replies"),
    ("empty", "empty once the quoted text"),
])
def test_inbound_refusals_say_why_and_write_nothing(desk, case, reason):
    """Forged sender, unknown person, wrong code, unknown ticket, no token, an auto-reply,
    an empty reply: each refused with its reason, no comment written."""
    s, ticket = desk.session, desk.new_ticket()
    good = reply_address(ticket.number, secret=SECRET, mail_from=MAIL_FROM)
    sender, to, body = "req@example.com", good, "Hello"
    if case == "forged":
        sender = "other@example.com"
    elif case == "stranger":
        sender = "nobody@elsewhere.test"
    elif case == "bad_token":
        to = good.replace(signature(ticket.number, SECRET), "0" * 16)
    elif case == "unknown_ticket":
        to = f"desk+t99999-{signature(99999, SECRET)}@docket.test"
    elif case == "no_token":
        to = "desk@docket.test"
    elif case == "empty":
        body = "> quoted only"
    raw = _message(sender=sender, to=to, body=body)
    if case == "auto":
        raw = b"Auto-Submitted: auto-replied\r\n" + raw
    before = _comment_count(s)
    with pytest.raises(Rejected, match=reason):
        ingest_message(session=s, raw=raw, secret=SECRET)
    assert _comment_count(s) == before


def test_not_a_message_is_rejected(desk):
    """Bytes without a From header are no email."""
    with pytest.raises(Rejected, match="no From header"):
        ingest_message(session=desk.session, raw=b"hello world", secret=SECRET)


def test_cli_mail_ingest_reads_stdin(app, desk, tmp_path: Path):
    """`docket mail ingest` adds a piped message; a refused one exits 65 (EX_DATAERR, the
    MTA bounces it) with the reason."""
    ticket = desk.new_ticket()
    to = reply_address(ticket.number, secret=app.config["SECRET_KEY"],
                       mail_from=app.config["MAIL_FROM"])
    runner = app.test_cli_runner()
    ok: Result = runner.invoke(mail_group, ["ingest"], input=_message(
        sender="req@example.com", to=to, body="Via the MTA"))
    assert ok.exit_code == 0, ok.output
    assert f"#{ticket.number}" in ok.output
    bad = runner.invoke(mail_group, ["ingest"], input=_message(
        sender="other@example.com", to=to, body="Forged"))
    assert bad.exit_code == 65 and "neither the requester" in bad.stderr


def test_mention_email_reaches_the_colleague_by_smtp_unless_they_turned_it_off(desk, smtp):
    """An @mention in an internal note mails the colleague (agents get mention emails by
    default) with the note and a link to the staff page, never the requester; once the
    colleague turns mention emails off, the next mention is in the app only."""
    inbox, _port = smtp
    s, ticket = desk.session, desk.new_ticket()
    add_comment(session=s, ticket=ticket, author=desk.agent, internal=True,
                body="@[Bob Wu] the toner looks wrong to me.")
    s.commit()
    [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert deliver_message(row.id) == "delivered"
    sent = inbox.parsed(0)
    assert sent["To"] == "bob@example.com"
    assert sent["Subject"] == f"Ann Lee mentioned you on ticket #{ticket.number}"
    text = sent.get_content()
    assert "the toner looks wrong to me." in text
    assert f"/workspace/tickets/{ticket.number}" in text and "/portal/" not in text

    set_email_choices(session=s, user=desk.colleague,
                      email={Kind.ASSIGNED.value, Kind.APPROVAL.value})
    add_comment(session=s, ticket=ticket, author=desk.agent, internal=True,
                body="@bob@example.com never mind, it is fine.")
    s.commit()
    assert s.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "email")) == 1  # no second email
    notes = s.scalars(select(Notification.kind).where(
        Notification.user_id == desk.colleague.id)).all()
    assert notes == [Kind.MENTIONED, Kind.MENTIONED]  # both reached the app
    assert [envelope.rcpt_tos for envelope, _session in inbox.messages] == [
        ["bob@example.com"]]  # the requester got nothing for either note
