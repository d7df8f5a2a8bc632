"""Webhook delivery (Standard Webhooks signing), HTTP lookups, and the retry schedule.

A delivery is one signed POST of compact JSON (sorted keys) through the SSRF guard. Headers,
per https://www.standardwebhooks.com/:

- ``webhook-id``: the outbox id, the receiver's idempotency key (the same on every retry);
- ``webhook-timestamp``: unix seconds of this attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``.

Secrets are either ``whsec_<base64>`` (the spec's form: the key is the decoded bytes) or any
other non-empty string (the key is its UTF-8 bytes). :func:`new_secret` makes the former.

Outcomes: ``delivered`` on 2xx; ``gone`` on 410 (the receiver asks us to stop: disable, do
not retry); ``retry`` on 408, 425, 429, 5xx, DNS/connect/TLS errors and timeouts; ``failed``
(permanent) on other 4xx, on any 3xx (redirects are not followed: fix the URL) and on a
blocked destination. The runner waits :func:`backoff` (or ``retry_after`` when the receiver
sent a longer ``Retry-After``) between attempts.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import logging
import random
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from core.errors import DocketError
from runtime.outbound.ssrf import (
    BlockedDestination,
    Response,
    Timeout,
    TransportError,
    fetch,
)

log = logging.getLogger(__name__)

EXCERPT_BYTES = 2048
LOOKUP_MAX_BYTES = 1024 * 1024
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
TOLERANCE_SECONDS = 300
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# Delay before retry n (1-based), then the last one forever; each gets +-20 % jitter.
BACKOFF_SCHEDULE: tuple[float, ...] = (10.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
JITTER = 0.2
MAX_RETRY_AFTER = 24 * 3600.0
_MESSAGE_ID = re.compile(r"^[A-Za-z0-9_:-]{1,128}$")


class InvalidSignature(DocketError):
    """A webhook whose signature, timestamp or headers do not check out."""

    title = "Invalid signature"


class Outcome(enum.StrEnum):
    """What a delivery attempt means for the runner."""

    DELIVERED = "delivered"
    GONE = "gone"  # 410: stop for good
    RETRY = "retry"
    FAILED = "failed"  # permanent


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Literal[_Missing.MISSING] = _Missing.MISSING
"""Returned by :func:`extract` when the pointer names nothing (distinct from JSON null)."""


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """One delivery attempt, as the runner logs it and decides on it."""

    outcome: Outcome
    status: int | None  # None when no HTTP answer came
    duration_ms: int
    response_excerpt: str  # at most EXCERPT_BYTES of the body, decoded leniently
    error: str  # empty when delivered
    retry_after: float | None = None  # seconds, from a Retry-After header on 429/503

    @property
    def retryable(self) -> bool:
        """True when another attempt may succeed."""
        return self.outcome is Outcome.RETRY


@dataclass(frozen=True, slots=True)
class LookupResult:
    """One HTTP lookup: the parsed JSON on success, the reason otherwise."""

    ok: bool
    retryable: bool
    status: int | None
    data: Any  # parsed JSON when ok, else None
    duration_ms: int
    error: str


def secret_key(secret: str) -> bytes:
    """The HMAC key of ``secret``: base64-decoded after ``whsec_``, else its UTF-8 bytes."""
    if not secret:
        raise ValueError("the webhook secret is empty")
    if secret.startswith("whsec_"):
        try:
            key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ secret must be base64 after the prefix") from None
        if not key:
            raise ValueError("the webhook secret is empty")
        return key
    return secret.encode("utf-8")


def new_secret() -> str:
    """A fresh secret in the spec's ``whsec_<base64 of 32 random bytes>`` form."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, keys sorted, UTF-8."""
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check a received webhook; raise InvalidSignature unless it is authentic and fresh.

    ``headers`` names are matched case-insensitively; ``webhook-signature`` may list several
    space-separated signatures (secret rotation): one valid ``v1`` suffices. The timestamp
    must be within ``tolerance`` seconds of ``now`` (default: the current time), both ways.
    Comparison is constant-time.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    message_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    if not stamp.isascii() or not stamp.isdigit():
        raise InvalidSignature("webhook-timestamp is not unix seconds")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise InvalidSignature("webhook-timestamp is outside the tolerance")
    expected = sign(secret, message_id=message_id, timestamp=int(stamp), body=body)
    expected_bytes = expected.encode("ascii")
    matched = False
    for candidate in signatures.split(" "):
        # No early exit: every candidate costs the same comparison.
        if hmac.compare_digest(candidate.encode("utf-8", "replace"), expected_bytes):
            matched = True
    if not matched:
        raise InvalidSignature("no webhook-signature matches")


def _excerpt(body: bytes) -> str:
    return body[:EXCERPT_BYTES].decode("utf-8", "replace")


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def classify_status(status: int) -> Outcome:
    """The outcome an HTTP status means for a webhook delivery."""
    if 200 <= status < 300:
        return Outcome.DELIVERED
    if status == 410:
        return Outcome.GONE
    if status in RETRYABLE_STATUSES or 500 <= status < 600:
        return Outcome.RETRY
    return Outcome.FAILED


def _status_error(response: Response) -> str:
    if 300 <= response.status < 400:
        where = response.headers.get("location", "(no Location)")
        return (
            f"HTTP {response.status}: redirect to {where[:200]} not followed; "
            "point the webhook at the final URL"
        )
    return f"HTTP {response.status}"


def deliver(
    url: str,
    payload: dict[str, Any],
    *,
    message_id: str,
    secret: str | None,
    allowed_hosts: frozenset[str],
    timeout: Timeout = DEFAULT_TIMEOUT,
    now: float | None = None,
    ca_certs: str | None = None,
) -> DeliveryResult:
    """POST ``payload`` to ``url`` once, signed; classify the answer (never raises for I/O).

    ``message_id`` is the outbox id (same on every retry). Without a ``secret`` the request
    carries ``webhook-id`` and ``webhook-timestamp`` but no signature. ``now`` (unix
    seconds) is for tests; ``ca_certs`` replaces the certifi CA bundle.
    """
    if not _MESSAGE_ID.match(message_id):
        raise ValueError("message_id must be 1-128 of A-Z a-z 0-9 _ : -")
    body = encode_body(payload)
    current = time.time() if now is None else now
    timestamp = int(current)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Docket-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
    }
    if secret:
        headers["webhook-signature"] = sign(
            secret, message_id=message_id, timestamp=timestamp, body=body
        )
    started = time.monotonic()
    try:
        response = fetch(
            "POST",
            url,
            allowed_hosts=allowed_hosts,
            timeout=timeout,
            max_bytes=EXCERPT_BYTES,
            body=body,
            headers=headers,
            ca_certs=ca_certs,
        )
    except BlockedDestination as exc:
        result = DeliveryResult(Outcome.FAILED, None, _ms(started), "", exc.reason)
    except TransportError as exc:
        result = DeliveryResult(Outcome.RETRY, None, _ms(started), "", exc.reason)
    else:
        outcome = classify_status(response.status)
        result = DeliveryResult(
            outcome,
            response.status,
            response.duration_ms,
            _excerpt(response.body),
            "" if outcome is Outcome.DELIVERED else _status_error(response),
            _retry_after(response.headers.get("retry-after"), current)
            if outcome is Outcome.RETRY
            else None,
        )
    log.info(
        "webhook %s: %s status=%s %d ms %s",
        message_id,
        result.outcome,
        result.status,
        result.duration_ms,
        result.error,
    )
    return result


def lookup(
    url: str,
    *,
    method: Literal["GET", "POST"] = "GET",
    payload: dict[str, Any] | None = None,
    allowed_hosts: frozenset[str],
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_bytes: int = LOOKUP_MAX_BYTES,
    ca_certs: str | None = None,
) -> LookupResult:
    """Fetch JSON from ``url`` (GET, or POST of ``payload``) through the guard.

    Succeeds on 2xx with a JSON body of at most ``max_bytes``. Retryable like a webhook
    (408/425/429/5xx, transport errors); anything else, a body over the cap or one that is
    not JSON fails for good.
    """
    if method not in ("GET", "POST"):
        raise ValueError("method must be GET or POST")
    headers = {"Accept": "application/json", "User-Agent": "Docket-Lookup/1"}
    body = None
    if method == "POST":
        body = encode_body(payload or {})
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        response = fetch(
            method,
            url,
            allowed_hosts=allowed_hosts,
            timeout=timeout,
            max_bytes=max_bytes,
            body=body,
            headers=headers,
            ca_certs=ca_certs,
        )
    except BlockedDestination as exc:
        return LookupResult(False, False, None, None, _ms(started), exc.reason)
    except TransportError as exc:
        return LookupResult(False, True, None, None, _ms(started), exc.reason)
    outcome = classify_status(response.status)
    if outcome is not Outcome.DELIVERED:
        return LookupResult(
            False,
            outcome is Outcome.RETRY,
            response.status,
            None,
            response.duration_ms,
            _status_error(response),
        )
    if response.truncated:
        return LookupResult(
            False,
            False,
            response.status,
            None,
            response.duration_ms,
            f"the response is larger than {max_bytes} bytes",
        )
    try:
        data = json.loads(response.body)
    except (ValueError, RecursionError) as exc:
        return LookupResult(
            False,
            False,
            response.status,
            None,
            response.duration_ms,
            f"the response is not JSON: {str(exc)[:200]}",
        )
    return LookupResult(True, False, response.status, data, response.duration_ms, "")


def extract(response_json: Any, pointer: str) -> Any:
    """The value at RFC 6901 JSON ``pointer`` in ``response_json``, or MISSING if absent.

    ``""`` is the whole document; ``~1`` and ``~0`` stand for ``/`` and ``~``. Array indexes
    are ``0`` or digits without a leading zero; ``-`` and out-of-range indexes are MISSING.
    Raises ValueError for a pointer that is not ``""`` and does not start with ``/``.
    """
    if pointer == "":
        return response_json
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    current = response_json
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            if token not in current:
                return MISSING
            current = current[token]
        elif isinstance(current, list):
            if not re.fullmatch(r"0|[1-9][0-9]*", token) or int(token) >= len(current):
                return MISSING
            current = current[int(token)]
        else:
            return MISSING
    return current


def backoff(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (1 = the first retry), jittered by +-20 %.

    Schedule: 10 s, 30 s, 2 min, 10 min, 30 min, then 1 h for every later attempt (so at
    most 72 min). Jitter spreads retries of many deliveries that failed together.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    base = BACKOFF_SCHEDULE[min(attempt, len(BACKOFF_SCHEDULE)) - 1]
    spread = (rng.uniform if rng else random.uniform)(-JITTER, JITTER)
    return base * (1 + spread)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
