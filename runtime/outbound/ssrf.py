"""Outbound HTTP that cannot be aimed at our own network (SSRF guard with address pinning).

How this works: :func:`check_url` parses the URL strictly (http/https, no userinfo, a host
that means one thing), resolves the host once with ``socket.getaddrinfo`` and refuses the URL
if *any* resolved address is not a public unicast address (loopback, private, link-local incl.
cloud metadata 169.254.169.254, CGNAT, unique-local, multicast, reserved, documentation,
6to4/NAT64/IPv4-mapped forms of those ...). A host on the admin's allow-list
(``WEBHOOK_ALLOWED_HOSTS``: exact names, case-insensitive) skips the address check.

:func:`fetch` then connects to the *checked* address itself (urllib3 connection pool keyed by
the IP), never to a fresh resolution, so a DNS answer that changes between check and connect
(DNS rebinding) cannot move the request. The ``Host`` header, TLS SNI and the certificate
check all use the name from the URL. Redirects are never followed: a 3xx is returned as is
and the callers treat it as a failure (see ``webhooks.py``). Environment proxies are ignored
on purpose: a proxy would resolve the name again, behind our check.

Errors::

    DocketError
    └── OutboundError          base of everything this package raises on purpose
        ├── BlockedDestination  the URL or an address it resolves to is not allowed (permanent)
        └── TransportError      DNS, connect, TLS, timeout or a broken connection (retryable)
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import idna
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from core.errors import DocketError

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Timeout = float | tuple[float, float]

# Every range refused unless the host is allow-listed, with the word used in messages. The
# final ``is_global`` test in blocked_reason() catches anything this table forgets; the table
# exists so that messages are precise and so that older CPython ``ipaddress`` tables
# (python/cpython#113171) cannot let a range through.
_BLOCKED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), label)
    for net, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved (6to4 relay)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved (benchmarking)"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "reserved (IPv4-compatible)"),
        ("::ffff:0:0:0/96", "reserved (IPv4-translated)"),
        ("64:ff9b::/96", "reserved (NAT64)"),
        ("64:ff9b:1::/48", "reserved (NAT64)"),
        ("100::/64", "reserved (discard)"),
        ("2001::/23", "reserved (IETF protocol, incl. Teredo)"),
        ("2001:db8::/32", "documentation"),
        ("2002::/16", "reserved (6to4)"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "reserved (segment routing)"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class OutboundError(DocketError):
    """Base of the errors raised by outbound HTTP."""

    title = "Outbound request failed"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BlockedDestination(OutboundError):
    """The URL, or an address its host resolves to, may not be contacted (never retried)."""

    title = "Blocked destination"


class TransportError(OutboundError):
    """No HTTP answer: DNS, connect, TLS, timeout or broken connection (worth retrying)."""

    title = "Destination unreachable"

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.timeout = timeout


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked URL: where to connect (``addresses``) and what to call it (``host``)."""

    scheme: str
    host: str  # ASCII (IDNA), lower case, no brackets, no trailing dot; IPs canonical
    port: int
    target: str  # request target: path and query, never empty
    addresses: tuple[IPAddress, ...]
    allow_listed: bool

    @property
    def host_header(self) -> str:
        """The ``Host`` header value: the name, bracketed if IPv6, with a non-default port."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer with its body read up to a cap."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    truncated: bool  # the body was longer than the cap and was cut
    duration_ms: int


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be contacted (e.g. ``"loopback"``), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            inner = blocked_reason(ip.ipv4_mapped)
            return f"IPv4-mapped {inner}" if inner else None
        ip = ipaddress.IPv6Address(int(ip))  # drop a scope id ("%eth0")
    for net, label in _BLOCKED:
        if ip in net:
            return label
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return "non-public"
    return None


def normalize_host(host: str) -> str:
    """``host`` as compared and resolved: IDNA ASCII, lower case, canonical IP, no dot/brackets.

    Raises BlockedDestination for a host that is not a valid name or IP literal, and turns
    the numeric IPv4 spellings that resolvers accept (``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``) into the dotted address they mean, so they are checked as that address.
    """
    raw = host.strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    if "%" in raw:
        raise BlockedDestination(
            f"host {host!r} contains '%' (percent-encoding or an IPv6 zone id)"
        )
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        pass
    name = raw.rstrip(".").lower()
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise BlockedDestination(f"host {host!r} is not a valid name: {exc}") from None
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BlockedDestination(f"host {host!r} is not a valid host name")
    if _NUMERIC_LABEL.match(labels[-1]):
        # WHATWG URL and inet_aton read a host ending in a number as IPv4: do the same, so
        # the address checked is the one a resolver would return.
        try:
            return str(ipaddress.IPv4Address(socket.inet_aton(name)))
        except OSError:
            raise BlockedDestination(f"host {host!r} is not a valid IPv4 address") from None
    return name


def _normalize_allowed(allowed_hosts: Iterable[str]) -> frozenset[str]:
    found = set()
    for entry in allowed_hosts:
        try:
            found.add(normalize_host(entry))
        except BlockedDestination:
            log.warning("ignoring invalid WEBHOOK_ALLOWED_HOSTS entry %r", entry)
    return frozenset(found)


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return (literal,)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransportError(f"cannot resolve {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _canon, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        ip = ipaddress.ip_address(str(sockaddr[0]))
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise TransportError(f"cannot resolve {host}: no IPv4 or IPv6 address")
    return tuple(addresses)


def check_url(url: str, *, allowed_hosts: frozenset[str] = frozenset()) -> Destination:
    """Parse and resolve ``url``; raise BlockedDestination unless it may be contacted.

    Refused: schemes other than http/https, userinfo (``user@``), backslashes, whitespace or
    control characters, port 0, invalid hosts, and any host that resolves to at least one
    non-public address, unless the host is in ``allowed_hosts`` (exact, case-insensitive).
    Raises TransportError when the name does not resolve.
    """
    if not isinstance(url, str) or not url:
        raise BlockedDestination("the URL is empty")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in url):
        raise BlockedDestination("the URL contains whitespace, control characters or '\\'")
    try:
        parts = urlsplit(url)
        port_given = parts.port
    except ValueError as exc:
        raise BlockedDestination(f"the URL is not valid: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BlockedDestination(
            f"scheme {parts.scheme or '(none)'!r} is not allowed; use http or https"
        )
    if "@" in parts.netloc:
        raise BlockedDestination("URLs with a user name or password (user@host) are not allowed")
    if not parts.hostname:
        raise BlockedDestination("the URL has no host")
    if port_given == 0:
        raise BlockedDestination("port 0 is not allowed")
    host = normalize_host(parts.hostname)
    port = port_given or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    allow_listed = host in _normalize_allowed(allowed_hosts)
    addresses = _resolve(host, port)
    if not allow_listed:
        for ip in addresses:
            reason = blocked_reason(ip)
            if reason:
                log.warning("outbound request to %s refused: resolves to %s (%s)", host, ip, reason)
                raise BlockedDestination(
                    f"{host} resolves to a non-public address ({reason}); add the host to "
                    "WEBHOOK_ALLOWED_HOSTS if this destination is intended"
                )
    return Destination(scheme, host, port, target, addresses, allow_listed)


def _pool(
    dest: Destination, ip: IPAddress, timeout: urllib3.Timeout, ca_certs: str | None
) -> urllib3.HTTPConnectionPool:
    if dest.scheme == "https":
        # Connect to the checked IP; SNI and certificate name check use the URL's host.
        return urllib3.HTTPSConnectionPool(
            str(ip),
            dest.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or certifi.where(),
            assert_hostname=dest.host,
            server_hostname=dest.host,
        )
    return urllib3.HTTPConnectionPool(str(ip), dest.port, timeout=timeout, maxsize=1, retries=False)


def _read_capped(
    resp: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float
) -> tuple[bytes, bool]:
    # Read one byte past the cap to know whether there was more; never download the rest.
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        if time.monotonic() > deadline:
            raise TransportError("the response took too long to arrive", timeout=True)
        # read1: at most one socket read, so the deadline is checked between trickles.
        chunk = resp.read1(min(65536, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    body = b"".join(chunks)
    return body[:max_bytes], len(body) > max_bytes


def fetch(
    method: str,
    url: str,
    *,
    allowed_hosts: frozenset[str],
    timeout: Timeout,
    max_bytes: int,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    ca_certs: str | None = None,
) -> Response:
    """Send one request to ``url`` through the guard; never follows redirects.

    ``timeout`` is seconds or ``(connect, read)`` as in requests; the whole exchange is also
    bounded by their sum (checked while reading the body). At most ``max_bytes`` of the body
    are read; ``truncated`` says whether there was more. ``ca_certs`` replaces the certifi
    bundle (an internal CA, or tests). Raises BlockedDestination or TransportError.
    """
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    started = time.monotonic()
    deadline = started + connect + read
    dest = check_url(url, allowed_hosts=allowed_hosts)
    send_headers = {"Host": dest.host_header, "Accept-Encoding": "identity", "User-Agent": "Docket"}
    send_headers.update(headers or {})
    plan = urllib3.Timeout(connect=connect, read=read)
    last_error: Exception | None = None
    for ip in dest.addresses:
        pool = _pool(dest, ip, plan, ca_certs)
        try:
            resp = pool.urlopen(
                method,
                dest.target,
                body=body,
                headers=send_headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=True,
            )
            try:
                data, truncated = _read_capped(resp, max_bytes, deadline)
            finally:
                resp.close()  # one request per pool: close, never keep a half-read socket
            return Response(
                resp.status,
                {k.lower(): v for k, v in resp.headers.items()},
                data,
                truncated,
                int((time.monotonic() - started) * 1000),
            )
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = exc  # try the next checked address (e.g. ::1 then 127.0.0.1)
        except urllib3.exceptions.ConnectTimeoutError as exc:
            last_error = exc
        except Urllib3Timeout as exc:
            raise TransportError(
                f"{dest.host}: timed out waiting for a response", timeout=True
            ) from exc
        except urllib3.exceptions.SSLError as exc:
            raise TransportError(f"{dest.host}: TLS failed: {exc}") from exc
        except (Urllib3Error, OSError) as exc:
            raise TransportError(f"{dest.host}: connection failed: {exc}") from exc
        finally:
            pool.close()
    # NewConnectionError subclasses ConnectTimeoutError, so compare the exact type.
    timed_out = type(last_error) is urllib3.exceptions.ConnectTimeoutError
    raise TransportError(f"{dest.host}: cannot connect ({last_error})", timeout=timed_out)
