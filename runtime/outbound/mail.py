"""Outbound email: SMTP when ``SMTP_URL`` is set, else an .eml file sink (embedded mode).

``SMTP_URL`` forms::

    smtp://host[:port]                      plain SMTP (port 25), no login
    smtp://user:pass@host:587?starttls=1    STARTTLS is required, then login (port 587)
    smtps://user:pass@host[:465]            implicit TLS from the first byte

User and password are percent-decoded (``%40`` for ``@``). TLS verifies the server name
against the system trust store. Every field that ends up in a header is checked for CR, LF
and NUL first, so no value can add a header or a recipient (:class:`InvalidMail`).

Idempotency: give the message a ``Message-ID`` derived from the outbox id
(:func:`outbox_message_id`); the sink names the file after it, so a job run twice rewrites
one file, and mail clients collapse duplicates with the same id.

Errors: ``MailError(reason, retryable)``; ``InvalidMail`` is a MailError that is never
retryable. SMTP 4xx replies, disconnects, timeouts and TLS/network errors are retryable;
5xx replies and a missing STARTTLS are not.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from core.errors import DocketError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
# Headers the message structure owns; a caller may not set them through ``headers``.
_RESERVED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "sender",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
    }
)
_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,75}$")
_BAD_CHARS = ("\r", "\n", "\0")


class MailError(DocketError):
    """Mail could not be sent; ``retryable`` says whether a later attempt may succeed."""

    title = "Mail not sent"

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class InvalidMail(MailError):
    """The message itself is unacceptable (bad address, CR/LF in a header ...)."""

    title = "Invalid mail"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


@dataclass(frozen=True, slots=True)
class Mail:
    """One message: plain text, optionally with an HTML alternative."""

    to: list[str]
    subject: str
    text: str
    sender: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # Message-ID, In-Reply-To ...


@dataclass(frozen=True, slots=True)
class MailReceipt:
    """What happened: the Message-ID, the sink file if any, recipients the server refused."""

    message_id: str
    path: Path | None = None
    refused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """A parsed ``SMTP_URL``."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None


def outbox_message_id(outbox_id: str | int, domain: str) -> str:
    """A stable ``Message-ID`` for the mail of outbox row ``outbox_id``."""
    value = f"<docket.outbox.{outbox_id}@{domain}>"
    if not re.fullmatch(r"<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>", value):
        raise InvalidMail(f"cannot make a Message-ID from {outbox_id!r} and {domain!r}")
    return value


def _clean(what: str, value: str) -> str:
    if any(ch in value for ch in _BAD_CHARS):
        raise InvalidMail(f"{what} contains a line break or NUL")
    return value


def _address(what: str, value: str) -> str:
    """The addr-spec of one address (``Name <a@b>`` or ``a@b``); refuse anything else."""
    _clean(what, value)
    pairs = getaddresses([value])
    _name, addr = parseaddr(value)
    if len(pairs) != 1 or pairs[0][1] != addr or addr.count("@") != 1:
        raise InvalidMail(f"{what} {value!r} is not one email address")
    local, domain = addr.split("@")
    if not local or not domain or any(ch.isspace() for ch in addr):
        raise InvalidMail(f"{what} {value!r} is not one email address")
    return addr


def build_message(mail: Mail) -> tuple[EmailMessage, list[str]]:
    """The MIME message and the envelope recipients; raise InvalidMail on unsafe input."""
    if not mail.to:
        raise InvalidMail("the mail has no recipient")
    sender = _address("sender", mail.sender)
    recipients = [_address("recipient", to) for to in mail.to]
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = mail.sender
    msg["To"] = ", ".join(mail.to)
    msg["Subject"] = _clean("subject", mail.subject)
    msg["Date"] = formatdate(usegmt=True)
    extra = dict(mail.headers)
    for name, value in extra.items():
        if not _HEADER_NAME.match(name) or name.lower() in _RESERVED:
            raise InvalidMail(f"header {name!r} may not be set")
        msg[name] = _clean(f"header {name}", value)
    lowered = {name.lower() for name in extra}
    if "message-id" not in lowered:
        msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    if "auto-submitted" not in lowered:
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
    msg.set_content(mail.text)
    if mail.html is not None:
        msg.add_alternative(mail.html, subtype="html")
    return msg, recipients


def parse_smtp_url(smtp_url: str) -> SmtpSettings:
    """Read ``smtp://`` / ``smtps://`` URLs (see the module doc); raise MailError if bad."""
    parts = urlsplit(smtp_url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("SMTP_URL must look like smtp://[user:pass@]host[:port]", retryable=False)
    options = parse_qs(parts.query)
    starttls = options.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    implicit = scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 587 if starttls else 25)
    except ValueError:
        raise MailError("SMTP_URL has an invalid port", retryable=False) from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit,
        starttls=starttls and not implicit,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _smtp_failure(exc: Exception) -> MailError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        retry = all(400 <= code < 500 for code in codes)
        return MailError(f"all recipients refused: {codes}", retryable=retry)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"SMTP server: {exc}", retryable=False)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return MailError(
            f"SMTP {exc.smtp_code}: {text[:300]}", retryable=not 500 <= exc.smtp_code < 600
        )
    return MailError(f"SMTP connection failed: {exc}", retryable=True)


def _send_smtp(
    msg: EmailMessage,
    sender: str,
    recipients: list[str],
    settings: SmtpSettings,
    timeout: float,
    context: ssl.SSLContext,
) -> tuple[str, ...]:
    smtp: smtplib.SMTP
    if settings.implicit_tls:
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with smtp:
        smtp.ehlo()
        if settings.starttls:
            smtp.starttls(context=context)  # raises SMTPNotSupportedError if not offered
            smtp.ehlo()
        if settings.username is not None:
            smtp.login(settings.username, settings.password or "")
        refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
    return tuple(refused)


def _write_sink(msg: EmailMessage, message_id: str, sink_dir: Path) -> Path:
    sink_dir.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._@-]", "_", message_id.strip("<>"))[:200] or "message"
    path = sink_dir / f"{name}.eml"
    fd, tmp = tempfile.mkstemp(dir=sink_dir, prefix=".tmp-", suffix=".eml")
    with os.fdopen(fd, "wb") as out:
        out.write(msg.as_bytes(policy=policy.SMTP))
    os.replace(tmp, path)  # atomic: a reader never sees half a message
    return path


def send_mail(
    message: Mail,
    *,
    smtp_url: str | None,
    sink_dir: Path | None,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> MailReceipt:
    """Send ``message`` over ``smtp_url``, or write it to ``sink_dir`` when there is none.

    With neither, the message is only logged (one line). ``ssl_context`` replaces the default
    verifying context (an internal CA, or tests). Raises InvalidMail before any I/O for an
    unsafe message, MailError (see ``retryable``) when the SMTP exchange fails.
    """
    msg, recipients = build_message(message)
    sender = _address("sender", message.sender)
    message_id = str(msg["Message-ID"])
    if not smtp_url:
        path = _write_sink(msg, message_id, sink_dir) if sink_dir is not None else None
        log.info(
            "mail %s to %s (%r) %s",
            message_id,
            ", ".join(recipients),
            message.subject,
            f"written to {path}" if path else "not sent: no SMTP_URL and no sink",
        )
        return MailReceipt(message_id, path)
    settings = parse_smtp_url(smtp_url)
    context = ssl_context or ssl.create_default_context()
    try:
        refused = _send_smtp(msg, sender, recipients, settings, timeout, context)
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers timeouts and TLS
        failure = _smtp_failure(exc)
        log.warning(
            "mail %s via %s:%s failed: %s", message_id, settings.host, settings.port, failure.reason
        )
        raise failure from exc
    if refused:
        log.warning("mail %s: server refused %s", message_id, ", ".join(refused))
    log.info(
        "mail %s to %s sent via %s:%s",
        message_id,
        ", ".join(recipients),
        settings.host,
        settings.port,
    )
    return MailReceipt(message_id, None, refused)
