"""Webhook signing, delivery outcomes against a real local server, and the retry schedule."""

from __future__ import annotations

import json
import random
import time

import pytest

from runtime.outbound.webhooks import (
    BACKOFF_SCHEDULE,
    EXCERPT_BYTES,
    InvalidSignature,
    Outcome,
    backoff,
    deliver,
    encode_body,
    new_secret,
    secret_key,
    sign,
    verify,
)
from tests.outbound.conftest import Server, free_port

LOCAL = frozenset({"127.0.0.1"})
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PAYLOAD = {"ticket": {"number": 1042, "title": "退款"}, "event": "approved", "amount": 12.5}


def test_sign_matches_the_standard_webhooks_test_vector() -> None:
    """Signatures equal the Standard Webhooks reference vector, so any receiver library works."""
    signature = sign(
        SECRET,
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_secret_key_accepts_whsec_and_plain_secrets() -> None:
    """``whsec_`` secrets are base64-decoded; other strings are used as their UTF-8 bytes."""
    assert secret_key("whsec_aGVsbG8=") == b"hello"
    assert secret_key("hello") == b"hello"
    assert len(secret_key(new_secret())) == 32
    for bad in ("", "whsec_", "whsec_not base64!"):
        with pytest.raises(ValueError):
            secret_key(bad)


def test_encode_body_is_compact_sorted_utf8() -> None:
    """The body is compact JSON with sorted keys, UTF-8, so signatures are reproducible."""
    assert encode_body({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == (
        '{"a":{"c":"é","d":[1,2]},"b":1}'.encode()
    )
    with pytest.raises(ValueError):
        encode_body({"x": float("nan")})


def _headers(
    body: bytes,
    *,
    now: int,
    secret: str = SECRET,
    message_id: str = "msg_1",
) -> dict[str, str]:
    return {
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(now),
        "Webhook-Signature": sign(secret, message_id=message_id, timestamp=now, body=body),
    }


def test_verify_accepts_a_fresh_valid_signature() -> None:
    """A signed request within the tolerance verifies (header names in any case)."""
    verify(SECRET, headers=_headers(b"{}", now=1000), body=b"{}", now=1100)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("body", "no webhook-signature matches"),
        ("secret", "no webhook-signature matches"),
        ("old", "tolerance"),
        ("future", "tolerance"),
        ("missing", "missing"),
        ("timestamp", "unix seconds"),
        ("id", "no webhook-signature matches"),
    ],
)
def test_verify_rejects_tampering_and_stale_requests(change: str, message: str) -> None:
    """Any change to body, id, secret or timestamp, or a timestamp > 5 min off, is rejected."""
    body, now = b'{"a":1}', 10_000
    headers = _headers(body, now=now)
    secret = SECRET
    if change == "body":
        body = b'{"a":2}'
    elif change == "secret":
        secret = "whsec_" + "A" * 43 + "="
    elif change == "old":
        now += 301
    elif change == "future":
        now -= 301
    elif change == "missing":
        del headers["Webhook-Signature"]
    elif change == "timestamp":
        headers["Webhook-Timestamp"] = "1e4"
    elif change == "id":
        headers["Webhook-Id"] = "msg_2"
    with pytest.raises(InvalidSignature, match=message):
        verify(secret, headers=headers, body=body, now=now)


def test_verify_accepts_any_listed_signature_for_key_rotation() -> None:
    """Several space-separated signatures: one valid ``v1`` is enough."""
    headers = _headers(b"{}", now=50)
    headers["Webhook-Signature"] = "v1,bm90IGl0 v2,whatever " + headers["Webhook-Signature"]
    verify(SECRET, headers=headers, body=b"{}", now=50)


def test_deliver_is_blocked_by_default(http_server: Server) -> None:
    """A local receiver is refused without the allow-list: a permanent failure, no request."""
    result = deliver(
        http_server.url("/ok"),
        PAYLOAD,
        message_id="msg_7",
        secret=SECRET,
        allowed_hosts=frozenset(),
    )
    assert result.outcome is Outcome.FAILED and not result.retryable
    assert result.status is None and "WEBHOOK_ALLOWED_HOSTS" in result.error
    assert http_server.received == []


def test_deliver_sends_a_signed_request_the_receiver_can_verify(http_server: Server) -> None:
    """An allowed delivery POSTs the compact JSON with headers that ``verify`` accepts."""
    result = deliver(
        http_server.url("/ok"), PAYLOAD, message_id="outbox_42", secret=SECRET, allowed_hosts=LOCAL
    )
    assert result.outcome is Outcome.DELIVERED and result.status == 200
    assert result.response_excerpt == "thanks" and result.error == ""
    (got,) = http_server.received
    assert got.method == "POST" and got.body == encode_body(PAYLOAD)
    assert json.loads(got.body) == PAYLOAD
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == "outbox_42"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 5
    verify(SECRET, headers=got.headers, body=got.body)


def test_deliver_with_a_plain_secret_and_without_one(http_server: Server) -> None:
    """A plain-string secret signs too; without a secret no signature header is sent."""
    deliver(http_server.url("/ok"), {}, message_id="m1", secret="s3cret", allowed_hosts=LOCAL)
    deliver(http_server.url("/ok"), {}, message_id="m2", secret=None, allowed_hosts=LOCAL)
    signed, unsigned = http_server.received
    verify("s3cret", headers=signed.headers, body=signed.body)
    assert "webhook-signature" not in unsigned.headers
    assert unsigned.headers["webhook-id"] == "m2"


def test_deliver_refuses_unsafe_message_ids() -> None:
    """The message id goes into a header and the signed string: a safe charset only."""
    with pytest.raises(ValueError):
        deliver("http://127.0.0.1/", {}, message_id="a\r\nX: y", secret=None, allowed_hosts=LOCAL)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (202, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (410, Outcome.GONE),
        (408, Outcome.RETRY),
        (425, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
        (400, Outcome.FAILED),
        (401, Outcome.FAILED),
        (404, Outcome.FAILED),
        (422, Outcome.FAILED),
    ],
)
def test_deliver_classifies_statuses(http_server: Server, status: int, outcome: Outcome) -> None:
    """2xx delivered; 410 gone; 408/425/429/5xx retry; other 4xx fail for good."""
    result = deliver(
        http_server.url(f"/status/{status}"), {}, message_id="m", secret=SECRET, allowed_hosts=LOCAL
    )
    assert result.outcome is outcome and result.status == status
    assert result.retryable == (outcome is Outcome.RETRY)
    assert (result.error == "") == (outcome is Outcome.DELIVERED)


def test_deliver_reports_retry_after(http_server: Server) -> None:
    """A Retry-After on 429/503 is passed on to the runner in seconds."""
    result = deliver(
        http_server.url("/status/429"), {}, message_id="m", secret=None, allowed_hosts=LOCAL
    )
    assert result.retry_after == 7.0


def test_deliver_treats_a_redirect_as_a_permanent_failure(http_server: Server) -> None:
    """Redirects are not followed: the attempt fails, naming the Location to fix the URL."""
    result = deliver(
        http_server.url("/redirect"), {}, message_id="m", secret=None, allowed_hosts=LOCAL
    )
    assert result.outcome is Outcome.FAILED and result.status == 302
    assert "redirect" in result.error and "/ok" in result.error
    assert [r.path for r in http_server.received] == ["/redirect"]


def test_deliver_timeout_is_retryable(http_server: Server) -> None:
    """A receiver slower than the read timeout: retry, no status, promptly given up."""
    started = time.monotonic()
    result = deliver(
        http_server.url("/slow"),
        {},
        message_id="m",
        secret=None,
        allowed_hosts=LOCAL,
        timeout=(1, 0.3),
    )
    assert result.outcome is Outcome.RETRY and result.status is None
    assert "timed out" in result.error
    assert time.monotonic() - started < 0.9


def test_deliver_connection_refused_is_retryable() -> None:
    """Nothing listening: retry later."""
    result = deliver(
        f"http://127.0.0.1:{free_port()}/hook",
        {},
        message_id="m",
        secret=None,
        allowed_hosts=LOCAL,
        timeout=1,
    )
    assert result.outcome is Outcome.RETRY and "cannot connect" in result.error


def test_deliver_keeps_at_most_2_kb_of_the_response(http_server: Server) -> None:
    """A huge response body is not downloaded; the excerpt kept for the log is <= 2 KB."""
    result = deliver(http_server.url("/big"), {}, message_id="m", secret=None, allowed_hosts=LOCAL)
    assert result.outcome is Outcome.DELIVERED
    assert len(result.response_excerpt.encode()) == EXCERPT_BYTES


def test_backoff_follows_the_schedule_with_bounded_jitter() -> None:
    """Retry n waits schedule[n] +-20 %; after the schedule every retry waits about 1 h."""
    rng = random.Random(7)
    for attempt, base in enumerate(BACKOFF_SCHEDULE, start=1):
        for _ in range(50):
            assert 0.8 * base <= backoff(attempt, rng=rng) <= 1.2 * base
    assert 0.8 * 3600 <= backoff(40, rng=rng) <= 1.2 * 3600
    assert list(BACKOFF_SCHEDULE) == [10, 30, 120, 600, 1800, 3600]
    with pytest.raises(ValueError):
        backoff(0)


def test_backoff_jitter_spreads_retries() -> None:
    """Two deliveries failing together do not retry at the same instant."""
    assert len({round(backoff(3), 6) for _ in range(20)}) > 1
