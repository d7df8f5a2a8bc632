"""Outbound email against a real local SMTP server (aiosmtpd), the .eml sink, and injection."""

from __future__ import annotations

import email
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from runtime.outbound.mail import (
    InvalidMail,
    Mail,
    MailError,
    build_message,
    outbox_message_id,
    parse_smtp_url,
    send_mail,
)
from tests.outbound.conftest import free_port

USER, PASSWORD = "bot@docket.test", "p@ss:w/rd"


@dataclass
class Inbox:
    """What the SMTP server accepted, and which recipients it should refuse."""

    messages: list[tuple[Envelope, Session]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.messages.append((envelope, session))
        return "250 Message accepted for delivery"

    def parsed(self, index: int = 0) -> EmailMessage:
        """The accepted message as an EmailMessage."""
        content = self.messages[index][0].content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def _run(inbox: Inbox, **kwargs: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Inbox:
    """An empty inbox for the SMTP server."""
    return Inbox()


@pytest.fixture
def smtp_port(inbox: Inbox) -> Iterator[int]:
    """A plain SMTP server on 127.0.0.1 accepting AUTH without TLS (test only)."""
    yield from _run(inbox, authenticator=_authenticate, auth_require_tls=False)


def _mail(**overrides: Any) -> Mail:
    fields: dict[str, Any] = {
        "to": ["Alice Zhang <alice@example.test>", "bob@example.test"],
        "subject": "工单 #1042 已批准",
        "text": "Your refund was approved.\n",
        "sender": "Docket <noreply@docket.test>",
        "headers": {"Message-ID": outbox_message_id(42, "docket.test")},
    }
    fields.update(overrides)
    return Mail(**fields)


def test_send_mail_delivers_over_smtp_with_login(inbox: Inbox, smtp_port: int) -> None:
    """With SMTP_URL the message is sent, logging in with the percent-decoded credentials."""
    url = f"smtp://bot%40docket.test:p%40ss%3Aw%2Frd@127.0.0.1:{smtp_port}"
    receipt = send_mail(_mail(html="<p>Approved</p>"), smtp_url=url, sink_dir=None, timeout=5)
    assert receipt.message_id == "<docket.outbox.42@docket.test>" and receipt.path is None
    ((envelope, session),) = inbox.messages
    assert session.authenticated
    assert envelope.mail_from == "noreply@docket.test"
    assert envelope.rcpt_tos == ["alice@example.test", "bob@example.test"]
    got = inbox.parsed()
    assert got["Subject"] == "工单 #1042 已批准"
    assert got["Message-ID"] == "<docket.outbox.42@docket.test>"
    assert got["Auto-Submitted"] == "auto-generated"
    text = got.get_body(("plain",))
    html = got.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == "Your refund was approved.\n"
    assert "<p>Approved</p>" in html.get_content()


def test_send_mail_wrong_password_is_permanent(smtp_port: int) -> None:
    """A rejected login (535) is not retried: the configuration must be fixed."""
    with pytest.raises(MailError) as info:
        send_mail(
            _mail(), smtp_url=f"smtp://{USER}:nope@127.0.0.1:{smtp_port}", sink_dir=None, timeout=5
        )
    assert not info.value.retryable and "535" in info.value.reason


def test_send_mail_refused_recipients(inbox: Inbox, smtp_port: int) -> None:
    """All recipients refused: 5xx is permanent, 4xx retryable; a partial refusal is reported."""
    url = f"smtp://127.0.0.1:{smtp_port}"
    inbox.refuse = {
        "alice@example.test": "550 5.1.1 no such user",
        "bob@example.test": "550 5.1.1 no such user",
    }
    with pytest.raises(MailError) as info:
        send_mail(_mail(), smtp_url=url, sink_dir=None, timeout=5)
    assert not info.value.retryable
    inbox.refuse = {
        "alice@example.test": "451 4.3.0 try later",
        "bob@example.test": "451 4.3.0 try later",
    }
    with pytest.raises(MailError) as info:
        send_mail(_mail(), smtp_url=url, sink_dir=None, timeout=5)
    assert info.value.retryable
    inbox.refuse = {"bob@example.test": "550 5.1.1 no such user"}
    receipt = send_mail(_mail(), smtp_url=url, sink_dir=None, timeout=5)
    assert receipt.refused == ("bob@example.test",)
    assert inbox.messages[-1][0].rcpt_tos == ["alice@example.test"]


def test_send_mail_connection_refused_is_retryable() -> None:
    """No SMTP server listening: retry later."""
    with pytest.raises(MailError) as info:
        send_mail(_mail(), smtp_url=f"smtp://127.0.0.1:{free_port()}", sink_dir=None, timeout=2)
    assert info.value.retryable


def test_send_mail_requires_starttls_when_asked(smtp_port: int) -> None:
    """``?starttls=1`` never falls back to plain text when the server lacks STARTTLS."""
    with pytest.raises(MailError) as info:
        send_mail(
            _mail(),
            smtp_url=f"smtp://{USER}:x@127.0.0.1:{smtp_port}?starttls=1",
            sink_dir=None,
            timeout=5,
        )
    assert not info.value.retryable and "STARTTLS" in info.value.reason.upper()


def test_send_mail_over_starttls_verifies_the_server(
    inbox: Inbox, tls_cert: tuple[Path, Path]
) -> None:
    """STARTTLS upgrades the session and checks the certificate against the host name."""
    cert, key = tls_cert
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    for port in _run(
        inbox, tls_context=server_context, require_starttls=True, authenticator=_authenticate
    ):
        url = f"smtp://bot%40docket.test:p%40ss%3Aw%2Frd@localhost:{port}?starttls=1"
        send_mail(_mail(), smtp_url=url, sink_dir=None, timeout=5, ssl_context=client_context)
        assert len(inbox.messages) == 1 and inbox.messages[0][1].authenticated
        wrong_name = f"smtp://127.0.0.1:{port}?starttls=1"
        with pytest.raises(MailError):
            send_mail(
                _mail(), smtp_url=wrong_name, sink_dir=None, timeout=5, ssl_context=client_context
            )
        assert len(inbox.messages) == 1


def test_send_mail_without_smtp_writes_an_eml_named_by_message_id(tmp_path: Path) -> None:
    """Without SMTP_URL the message lands in the sink; the same Message-ID rewrites one file."""
    first = send_mail(_mail(), smtp_url=None, sink_dir=tmp_path / "mail")
    again = send_mail(_mail(), smtp_url=None, sink_dir=tmp_path / "mail")
    assert first.path == again.path and first.path is not None
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["docket.outbox.42@docket.test.eml"]
    parsed = email.message_from_bytes(first.path.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "工单 #1042 已批准"
    assert parsed["To"] == "Alice Zhang <alice@example.test>, bob@example.test"


def test_send_mail_without_smtp_or_sink_only_logs(caplog: pytest.LogCaptureFixture) -> None:
    """With neither SMTP_URL nor a sink the message is logged in one line, not lost silently."""
    caplog.set_level("INFO", logger="runtime.outbound.mail")
    receipt = send_mail(_mail(), smtp_url=None, sink_dir=None)
    assert receipt.path is None
    assert len(caplog.records) == 1 and "no SMTP_URL" in caplog.records[0].getMessage()


def test_send_mail_generates_a_message_id_when_none_is_given(tmp_path: Path) -> None:
    """A message without a Message-ID gets one in the sender's domain."""
    receipt = send_mail(_mail(headers={}), smtp_url=None, sink_dir=tmp_path)
    assert receipt.message_id.endswith("@docket.test>")


@pytest.mark.parametrize(
    "overrides",
    [
        {"subject": "Hello\r\nBcc: victim@example.test"},
        {"subject": "Hello\nX-Evil: 1"},
        {"to": ["alice@example.test\r\nBcc: victim@example.test"]},
        {"to": ["alice@example.test, victim@example.test"]},
        {"to": ["not an address"]},
        {"to": []},
        {"sender": "noreply@docket.test\nBcc: victim@example.test"},
        {"headers": {"In-Reply-To": "<a@b>\r\nBcc: victim@example.test"}},
        {"headers": {"Bcc": "victim@example.test"}},
        {"headers": {"X-Bad Name": "1"}},
        {"headers": {"Content-Type": "text/html"}},
    ],
)
def test_send_mail_refuses_header_injection(
    overrides: dict[str, Any], tmp_path: Path, inbox: Inbox, smtp_port: int
) -> None:
    """CR/LF in any header value, extra recipients or reserved headers: refused, nothing sent."""
    for kwargs in (
        {"smtp_url": f"smtp://127.0.0.1:{smtp_port}", "sink_dir": None},
        {"smtp_url": None, "sink_dir": tmp_path},
    ):
        with pytest.raises(InvalidMail):
            send_mail(_mail(**overrides), **kwargs)
    assert inbox.messages == [] and list(tmp_path.iterdir()) == []


def test_build_message_keeps_display_names_with_commas() -> None:
    """A quoted display name may contain a comma; it is still one recipient."""
    _msg, recipients = build_message(_mail(to=['"Zhang, Alice" <alice@example.test>']))
    assert recipients == ["alice@example.test"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.test", ("mail.test", 25, False, False, None, None)),
        ("smtp://u:p@mail.test?starttls=1", ("mail.test", 587, False, True, "u", "p")),
        (
            "smtp://u%40x:p%2F@mail.test:2525?starttls=true",
            ("mail.test", 2525, False, True, "u@x", "p/"),
        ),
        ("smtps://u:p@mail.test", ("mail.test", 465, True, False, "u", "p")),
    ],
)
def test_parse_smtp_url(url: str, expected: tuple[Any, ...]) -> None:
    """SMTP_URL gives host, port (25 / 587 with STARTTLS / 465 for smtps), TLS mode, login."""
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.implicit_tls, s.starttls, s.username, s.password) == expected


@pytest.mark.parametrize("url", ["http://mail.test", "smtp://", "smtp://mail.test:x"])
def test_parse_smtp_url_rejects_bad_urls(url: str) -> None:
    """Anything but smtp:// or smtps:// with a host and numeric port is a config error."""
    with pytest.raises(MailError):
        parse_smtp_url(url)


def test_outbox_message_id_is_stable_and_safe() -> None:
    """The Message-ID depends only on the outbox id and domain, and cannot carry CR/LF."""
    assert outbox_message_id(7, "docket.test") == outbox_message_id("7", "docket.test")
    with pytest.raises(InvalidMail):
        outbox_message_id("7>\r\nBcc: x@y", "docket.test")
