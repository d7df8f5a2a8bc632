"""The HTTP lookup action: JSON through the guard, size caps, and JSON pointer extraction."""

from __future__ import annotations

import json

import pytest

from runtime.outbound.webhooks import MISSING, extract, lookup
from tests.outbound.conftest import LOOKUP_DOC, Server

LOCAL = frozenset({"127.0.0.1"})


def test_lookup_is_blocked_by_default(http_server: Server) -> None:
    """A lookup to a local address fails for good unless the host is allow-listed."""
    result = lookup(http_server.url("/json"), allowed_hosts=frozenset())
    assert not result.ok and not result.retryable and "WEBHOOK_ALLOWED_HOSTS" in result.error
    assert http_server.received == []


def test_lookup_get_returns_parsed_json(http_server: Server) -> None:
    """GET asks for JSON and returns the parsed document."""
    result = lookup(http_server.url("/json?customer=c1"), allowed_hosts=LOCAL)
    assert result.ok and result.status == 200 and result.data == LOOKUP_DOC
    (got,) = http_server.received
    assert got.method == "GET" and got.path == "/json?customer=c1"
    assert got.headers["accept"] == "application/json"


def test_lookup_post_sends_the_payload_as_json(http_server: Server) -> None:
    """POST sends the payload as compact JSON with a JSON content type."""
    result = lookup(
        http_server.url("/json"), method="POST", payload={"email": "a@b.c"}, allowed_hosts=LOCAL
    )
    assert result.ok
    (got,) = http_server.received
    assert got.method == "POST" and json.loads(got.body) == {"email": "a@b.c"}
    assert got.headers["content-type"] == "application/json"


def test_lookup_refuses_other_methods() -> None:
    """Only GET and POST are lookup methods."""
    with pytest.raises(ValueError):
        lookup("http://example.com/", method="DELETE", allowed_hosts=LOCAL)  # type: ignore[arg-type]


def test_lookup_over_the_size_cap_fails(http_server: Server) -> None:
    """A response over ``max_bytes`` (1 MB by default) is a permanent failure, not parsed."""
    result = lookup(http_server.url("/big"), allowed_hosts=LOCAL)
    assert not result.ok and not result.retryable and "larger than 1048576" in result.error
    small = lookup(http_server.url("/json"), allowed_hosts=LOCAL, max_bytes=20)
    assert not small.ok and "larger than 20" in small.error


def test_lookup_non_json_fails(http_server: Server) -> None:
    """A 2xx body that is not JSON is a permanent failure."""
    result = lookup(http_server.url("/text"), allowed_hosts=LOCAL)
    assert not result.ok and not result.retryable and "not JSON" in result.error


@pytest.mark.parametrize(
    ("status", "retryable"), [(503, True), (429, True), (404, False), (410, False), (302, False)]
)
def test_lookup_failures_say_whether_to_retry(
    http_server: Server, status: int, retryable: bool
) -> None:
    """5xx/429 may be retried; other statuses (including redirects and 410) may not."""
    path = "/redirect" if status == 302 else f"/status/{status}"
    result = lookup(http_server.url(path), allowed_hosts=LOCAL)
    assert not result.ok and result.status == status and result.retryable is retryable


def test_lookup_timeout_is_retryable(http_server: Server) -> None:
    """A slow lookup times out and may be retried."""
    result = lookup(http_server.url("/slow"), allowed_hosts=LOCAL, timeout=(1, 0.3))
    assert not result.ok and result.retryable and "timed out" in result.error


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [
        ("", LOOKUP_DOC),
        ("/customer/level", "gold"),
        ("/customer/a~1b", 1),
        ("/customer/m~0n", 2),
        ("/customer/tags/0", "vip"),
        ("/customer/tags/1", None),
        ("/customer/tags/2", MISSING),
        ("/customer/tags/-", MISSING),
        ("/customer/tags/01", MISSING),
        ("/customer/tags/x", MISSING),
        ("/customer/nope", MISSING),
        ("/customer/level/deeper", MISSING),
        ("/nothing", MISSING),
    ],
)
def test_extract_follows_rfc_6901(pointer: str, expected: object) -> None:
    """JSON pointers with ~0/~1 escapes and array indexes; absent is MISSING, null is None."""
    assert extract(LOOKUP_DOC, pointer) == expected
    if expected is MISSING:
        assert extract(LOOKUP_DOC, pointer) is MISSING


def test_extract_key_with_empty_name() -> None:
    """``/`` names the member with the empty key, as RFC 6901 says."""
    assert extract({"": 5}, "/") == 5
    assert extract({"a": 1}, "/") is MISSING


def test_extract_rejects_a_pointer_without_leading_slash() -> None:
    """A non-empty pointer must start with ``/``."""
    with pytest.raises(ValueError):
        extract(LOOKUP_DOC, "customer/level")
