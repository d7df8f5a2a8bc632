"""The SSRF guard: what may be contacted, and that the checked address is the one used."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from runtime.outbound.ssrf import (
    BlockedDestination,
    TransportError,
    blocked_reason,
    check_url,
    fetch,
    normalize_host,
)
from tests.outbound.conftest import Server, free_port

REFUSED_LITERALS = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.254/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://169.254.1.1/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://100.127.255.254/", "carrier-grade NAT"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://0.1.2.3/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://192.0.2.1/", "documentation"),
    ("http://198.18.0.1/", "benchmarking"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped loopback"),
    ("http://[::ffff:169.254.169.254]/", "IPv4-mapped link-local"),
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped private"),
    ("http://[::127.0.0.1]/", "IPv4-compatible"),
    ("http://[64:ff9b::7f00:1]/", "NAT64"),
    ("http://[2002:7f00:1::]/", "6to4"),
    ("http://[2001:db8::1]/", "documentation"),
    # Numeric spellings that resolvers (inet_aton) read as 127.0.0.1.
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://0177.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://127.0.0.1./", "loopback"),
    ("http://017700000001/", "loopback"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_LITERALS)
def test_check_url_refuses_every_non_public_range(url: str, why: str) -> None:
    """A URL whose host is a non-public address, in any spelling, is refused with the range."""
    with pytest.raises(BlockedDestination) as info:
        check_url(url)
    assert why in info.value.reason
    assert "WEBHOOK_ALLOWED_HOSTS" in info.value.reason


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_x",
        "ftp://example.com/",
        "dict://x:11211/",
        "javascript:alert(1)",
        "//example.com/",
        "example.com/path",
        "HTTP2://example.com/",
    ],
)
def test_check_url_refuses_other_schemes(url: str) -> None:
    """Only http and https URLs are accepted."""
    with pytest.raises(BlockedDestination, match="scheme"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://evil@127.0.0.1/",
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://:@example.com/",
    ],
)
def test_check_url_refuses_userinfo(url: str) -> None:
    """URLs with user info (which hides the real host from people reading them) are refused."""
    with pytest.raises(BlockedDestination, match="user name"):
        check_url(url, allowed_hosts=frozenset({"127.0.0.1", "example.com"}))


@pytest.mark.parametrize(
    "url",
    [
        "http://exa mple.com/",
        "http://example.com\\@127.0.0.1/",
        "http://example.com/\r\nX: 1",
        "http://%31%32%37.0.0.1/",
        "http://[fe80::1%25eth0]/",
        "http://example.123/",
        "http://1.2.3.4.5/",
        "http://256.1.1.1/",
        "http://example.com:0/",
        "http://example.com:99999/",
        "http:///nohost",
        "http://exa_mple..com/",
        "",
    ],
)
def test_check_url_refuses_malformed_urls(url: str) -> None:
    """Whitespace, backslashes, control characters, bad hosts or ports are refused outright."""
    with pytest.raises(BlockedDestination):
        check_url(url, allowed_hosts=frozenset({"example.com"}))


def test_check_url_refuses_names_that_resolve_to_loopback() -> None:
    """A host name is checked by what it resolves to: ``localhost`` is loopback."""
    with pytest.raises(BlockedDestination, match="loopback"):
        check_url("http://localhost:8080/hook")


def test_check_url_allow_list_is_exact_and_case_insensitive() -> None:
    """An allow-listed host skips the address check; matching ignores case, not subdomains."""
    dest = check_url("http://LocalHost:9/x?y=1", allowed_hosts=frozenset({"LOCALHOST."}))
    assert dest.allow_listed and dest.host == "localhost" and dest.target == "/x?y=1"
    assert ipaddress.ip_address("127.0.0.1") in dest.addresses
    with pytest.raises(BlockedDestination):
        check_url("http://127.0.0.1/", allowed_hosts=frozenset({"localhost"}))
    with pytest.raises(BlockedDestination):
        check_url("http://2130706433/", allowed_hosts=frozenset({"2130706433x"}))


def test_check_url_allow_list_matches_ip_literals_canonically() -> None:
    """Allow-listed IPs match any spelling of the same address (``[::1]``, ``0:0::1``)."""
    dest = check_url("http://[0:0::1]:81/", allowed_hosts=frozenset({"[::1]"}))
    assert dest.host == "::1" and dest.host_header == "[::1]:81"


def test_check_url_accepts_public_literals_without_dns() -> None:
    """A public IP literal passes and keeps its port and query; the fragment is dropped."""
    dest = check_url("https://8.8.8.8:8443/a?b=1#frag")
    assert (dest.host, dest.port, dest.target) == ("8.8.8.8", 8443, "/a?b=1")
    assert dest.host_header == "8.8.8.8:8443"


def test_normalize_host_encodes_international_names() -> None:
    """Unicode host names are compared and resolved in their IDNA (punycode) form."""
    assert normalize_host("例子.测试") == "xn--fsqu00a.xn--0zwm56d"
    assert normalize_host("Example.COM.") == "example.com"


def test_blocked_reason_accepts_public_addresses() -> None:
    """Ordinary public unicast addresses of both families are allowed."""
    for text in ("8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111"):
        assert blocked_reason(ipaddress.ip_address(text)) is None


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Answers for invented ``*.test`` names (stdlib resolver patched; others pass through).

    Each name maps to a list of answers, consumed one per lookup; the last one repeats.
    """
    answers: dict[str, list[Any]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in answers:
            calls.append(host)
            queue = answers[host]
            ips = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(ips, Exception):
                raise ips
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port) if ":" not in ip else (ip, port, 0, 0),
                )
                for ip in ips
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["__calls__"] = calls
    return answers


def test_check_url_refuses_when_any_resolved_address_is_private(
    fake_dns: dict[str, list[Any]],
) -> None:
    """One private address among public ones is enough to refuse the host."""
    fake_dns["mixed.test"] = [["93.184.215.14", "10.0.0.7"]]
    with pytest.raises(BlockedDestination, match="private"):
        check_url("https://mixed.test/hook")
    fake_dns["v6.test"] = [["2606:4700:4700::1111", "::ffff:169.254.169.254"]]
    with pytest.raises(BlockedDestination, match="IPv4-mapped link-local"):
        check_url("https://v6.test/hook")


def test_fetch_connects_to_the_checked_address_not_a_new_lookup(
    http_server: Server,
    fake_dns: dict[str, list[Any]],
) -> None:
    """DNS rebinding: the name is resolved once; a second answer never reaches the socket."""
    # First answer (checked, allow-listed): our server. Any later lookup would fail loudly.
    fake_dns["rebind.test"] = [["127.0.0.1"], socket.gaierror(-2, "rebinding attempt")]
    response = fetch(
        "GET",
        http_server.url("/ok", host="rebind.test"),
        allowed_hosts=frozenset({"rebind.test"}),
        timeout=2,
        max_bytes=100,
    )
    assert response.status == 200 and response.body == b"thanks"
    assert fake_dns["__calls__"] == ["rebind.test"]
    assert http_server.received[0].headers["host"] == f"rebind.test:{http_server.port}"


def test_fetch_rebinding_to_private_after_a_public_answer_is_refused(
    fake_dns: dict[str, list[Any]],
) -> None:
    """A name that answers private at check time is refused, whatever it answered before."""
    fake_dns["flip.test"] = [["93.184.215.14"], ["127.0.0.1"]]
    check_url("http://flip.test/")  # first lookup: public, accepted
    with pytest.raises(BlockedDestination, match="loopback"):
        fetch("GET", "http://flip.test/", allowed_hosts=frozenset(), timeout=1, max_bytes=10)


def test_fetch_tries_each_checked_address_in_order(
    http_server: Server,
    fake_dns: dict[str, list[Any]],
) -> None:
    """When the first checked address refuses the connection, the next one is used."""
    fake_dns["two.test"] = [["::1", "127.0.0.1"]]
    response = fetch(
        "GET",
        http_server.url("/ok", host="two.test"),
        allowed_hosts=frozenset({"two.test"}),
        timeout=2,
        max_bytes=100,
    )
    assert response.status == 200


def test_fetch_unresolvable_name_is_a_transport_error(fake_dns: dict[str, list[Any]]) -> None:
    """A name that does not resolve is retryable (DNS can recover), not blocked."""
    fake_dns["nxdomain.test"] = [socket.gaierror(-2, "Name or service not known")]
    with pytest.raises(TransportError, match="cannot resolve"):
        fetch("GET", "http://nxdomain.test/", allowed_hosts=frozenset(), timeout=1, max_bytes=10)


def test_fetch_blocked_by_default_reaches_nothing(http_server: Server) -> None:
    """Without the allow-list, the local test server cannot be reached at all."""
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(BlockedDestination):
            fetch(
                "GET",
                http_server.url("/ok", host=host),
                allowed_hosts=frozenset(),
                timeout=2,
                max_bytes=100,
            )
    assert http_server.received == []


def test_fetch_does_not_follow_redirects(http_server: Server) -> None:
    """A 3xx is returned as is; its Location is never requested."""
    response = fetch(
        "GET",
        http_server.url("/redirect"),
        allowed_hosts=frozenset({"127.0.0.1"}),
        timeout=2,
        max_bytes=100,
    )
    assert response.status == 302
    assert response.headers["location"].endswith("/ok")
    assert [r.path for r in http_server.received] == ["/redirect"]


def test_fetch_caps_the_body_with_and_without_content_length(http_server: Server) -> None:
    """At most ``max_bytes`` are kept and ``truncated`` reports the rest, sized or not."""
    for path in ("/big", "/big-unsized"):
        response = fetch(
            "GET",
            http_server.url(path),
            allowed_hosts=frozenset({"127.0.0.1"}),
            timeout=2,
            max_bytes=5000,
        )
        assert len(response.body) == 5000 and response.truncated


def test_fetch_read_timeout(http_server: Server) -> None:
    """A server that answers later than the read timeout is a retryable timeout."""
    with pytest.raises(TransportError) as info:
        fetch(
            "GET",
            http_server.url("/slow"),
            allowed_hosts=frozenset({"127.0.0.1"}),
            timeout=(1, 0.3),
            max_bytes=100,
        )
    assert info.value.timeout


def test_fetch_total_deadline_stops_a_dripping_server(http_server: Server) -> None:
    """A body trickling in under the read timeout is still cut at connect + read seconds."""
    with pytest.raises(TransportError, match="too long") as info:
        fetch(
            "GET",
            http_server.url("/drip"),
            allowed_hosts=frozenset({"127.0.0.1"}),
            timeout=(0.3, 0.3),
            max_bytes=1000,
        )
    assert info.value.timeout


def test_fetch_connection_refused_is_a_transport_error() -> None:
    """Nothing listening is a retryable transport error, not a timeout."""
    with pytest.raises(TransportError, match="cannot connect") as info:
        fetch(
            "GET",
            f"http://127.0.0.1:{free_port()}/",
            allowed_hosts=frozenset({"127.0.0.1"}),
            timeout=1,
            max_bytes=10,
        )
    assert not info.value.timeout


def test_fetch_https_checks_the_certificate_against_the_name(
    https_server: Server,
    tls_cert: tuple[Any, Any],
) -> None:
    """HTTPS to a pinned IP still sends SNI and verifies the certificate for the URL's name."""
    cert, _key = tls_cert
    response = fetch(
        "GET",
        https_server.url("/ok", host="localhost", scheme="https"),
        allowed_hosts=frozenset({"localhost"}),
        timeout=2,
        max_bytes=100,
        ca_certs=str(cert),
    )
    assert response.status == 200
    assert https_server.sni == ["localhost"]
    assert https_server.received[0].headers["host"] == f"localhost:{https_server.port}"


def test_fetch_https_refuses_a_certificate_for_another_name(
    https_server: Server,
    tls_cert: tuple[Any, Any],
) -> None:
    """The certificate names ``localhost``; reached as ``127.0.0.1`` it does not verify."""
    cert, _key = tls_cert
    with pytest.raises(TransportError, match="TLS"):
        fetch(
            "GET",
            https_server.url("/ok", host="127.0.0.1", scheme="https"),
            allowed_hosts=frozenset({"127.0.0.1"}),
            timeout=2,
            max_bytes=100,
            ca_certs=str(cert),
        )
    assert https_server.received == []


def test_fetch_https_refuses_an_untrusted_certificate(https_server: Server) -> None:
    """Without the test CA, the self-signed certificate is not trusted (certifi bundle)."""
    with pytest.raises(TransportError, match="TLS"):
        fetch(
            "GET",
            https_server.url("/ok", host="localhost", scheme="https"),
            allowed_hosts=frozenset({"localhost"}),
            timeout=2,
            max_bytes=100,
        )
