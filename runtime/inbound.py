"""Replies by email: a message sent to a ticket's reply address becomes a comment.

How it works. Notification mails about a ticket carry ``Reply-To: local+t<number>-<sig>@domain``
where ``sig`` is an HMAC of the ticket number under the app's secret: only mail we sent can
name a ticket, and nobody can guess the address of another one. ``ingest_message`` takes an
RFC 5322 message (``docket mail ingest`` pipes it from an MTA), finds the token in the
recipients (To, Cc, Delivered-To, X-Original-To) or, failing that, in the subject, checks
the signature, checks that the sender is the ticket's requester or a watcher, strips the
quoted history and adds the rest as a public reply. Anything wrong raises ``Rejected`` with
a reason a postmaster can act on, and nothing is written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DocketError
from core.people import get_user_by_email
from runtime.tickets.models import Ticket, TicketEvent
from runtime.tickets.relations import TicketWatcher

MAX_MESSAGE = 5 * 1024 * 1024
_TOKEN = re.compile(r"\+t(\d{1,9})-([0-9a-f]{16})@", re.IGNORECASE)
_SUBJECT_TOKEN = re.compile(r"\[#t(\d{1,9})-([0-9a-f]{16})\]", re.IGNORECASE)
# Lines that start the quoted history in common mail clients.
_QUOTE_START = re.compile(
    r"^(On .{1,200} wrote:|.{0,80}在 .{1,200}写道：?|-{2,} ?Original Message ?-{2,}|From: .+)$")


class Rejected(DocketError):
    """An inbound message that cannot become a comment; ``detail`` says why."""

    title = "Rejected"


def signature(number: int, secret: str) -> str:
    """The 16-hex-digit signature of a ticket's reply address."""
    return hmac.new(secret.encode(), f"ticket:{number}".encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(number: int, *, secret: str, mail_from: str) -> str:
    """``local+t<number>-<sig>@domain`` made from the ``MAIL_FROM`` address."""
    _name, addr = parseaddr(mail_from)
    local, _at, domain = addr.partition("@")
    return f"{local}+t{number}-{signature(number, secret)}@{domain or 'localhost'}"


@dataclass(frozen=True, slots=True)
class Ingested:
    """The comment an inbound message became."""

    ticket_number: int
    comment_id: int
    sender: str


def parse_message(raw: bytes) -> EmailMessage:
    """Parse RFC 5322 bytes; refuse what is too large or not a message."""
    if len(raw) > MAX_MESSAGE:
        raise Rejected(f"The message is larger than {MAX_MESSAGE // (1024 * 1024)} MiB.")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.get("From"):
        raise Rejected("This is not an email message: it has no From header.")
    return message


def _token(message: EmailMessage) -> tuple[int, str]:
    headers = ("To", "Cc", "Delivered-To", "X-Original-To")
    addresses = [addr for _n, addr in getaddresses(
        [str(v) for h in headers for v in (message.get_all(h) or [])])]
    for addr in addresses:
        if found := _TOKEN.search(addr + "@"):
            return int(found.group(1)), found.group(2).lower()
    if found := _SUBJECT_TOKEN.search(str(message.get("Subject") or "")):
        return int(found.group(1)), found.group(2).lower()
    raise Rejected("No ticket reply address (+t<number>-<code>) in the recipients or subject.")


def reply_text(message: EmailMessage) -> str:
    """The new text of a reply: the plain-text body without the quoted history."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        raise Rejected("The message has no plain-text body.")
    try:
        content = part.get_content()
    except (LookupError, ValueError) as exc:
        raise Rejected(f"The body cannot be decoded: {exc}.") from None
    kept: list[str] = []
    for line in str(content).replace("\r\n", "\n").split("\n"):
        if line.startswith(">") or _QUOTE_START.match(line.strip()):
            break
        kept.append(line)
    # RFC 3676 signature separator
    if "-- " in kept:
        kept = kept[:kept.index("-- ")]
    return "\n".join(kept).strip()


def ingest_message(*, session: Session, raw: bytes, secret: str) -> Ingested:
    """Add an emailed reply to its ticket as a public comment; the caller commits."""
    from runtime.tickets.comments import add_comment  # comments -> notifications -> here

    message = parse_message(raw)
    if str(message.get("Auto-Submitted") or "no").lower() != "no":
        raise Rejected("Automatic replies (Auto-Submitted) are not added to tickets.")
    number, sig = _token(message)
    if not hmac.compare_digest(sig, signature(number, secret)):
        raise Rejected("The reply address is not valid (wrong code).")
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise Rejected(f"There is no ticket {number}.")
    _name, sender_addr = parseaddr(str(message.get("From")))
    sender = get_user_by_email(session=session, email=sender_addr.strip().lower())
    if sender is None or not sender.active:
        raise Rejected(f"The sender {sender_addr!r} is not a Docket user.")
    watcher = session.get(TicketWatcher, (ticket.id, sender.id))
    if sender.id != ticket.requester_id and watcher is None:
        raise Rejected(f"The sender {sender_addr!r} is neither the requester of ticket "
                       f"{number} nor watching it.")
    body = reply_text(message)
    if not body:
        raise Rejected("The reply is empty once the quoted text is removed.")
    comment: TicketEvent = add_comment(session=session, ticket=ticket, author=sender, body=body,
                                       channel="email",
                                       message_id=str(message.get("Message-ID") or "")[:300])
    return Ingested(ticket.number, comment.id, sender.email)
