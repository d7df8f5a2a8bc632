"""Real local servers for the outbound tests: HTTP, HTTPS (self-signed via openssl), SMTP.

Each server listens on 127.0.0.1 only, so every request must pass the SSRF guard through
``allowed_hosts``; tests that forget it are refused, which is itself tested.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

LOOKUP_DOC = {"customer": {"level": "gold", "a/b": 1, "m~n": 2, "tags": ["vip", None]}}


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A running test server: where it is and what it received."""

    port: int
    received: list[Received] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        """The URL of ``path`` on this server under the given host name."""
        return f"{scheme}://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    """Answers by path: /ok, /status/<n>, /redirect, /slow, /drip, /big, /json, /text."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.state.received.append(
            Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )

    def _answer(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._record()
        path = self.path.split("?")[0]
        if path == "/ok":
            self._answer(200, b"thanks")
        elif path.startswith("/status/"):
            status = int(path.rsplit("/", 1)[1])
            extra = {"Retry-After": "7"} if status in (429, 503) else {}
            self._answer(status, f"status {status}".encode(), extra)
        elif path == "/redirect":
            self._answer(302, b"", {"Location": f"http://127.0.0.1:{self.server.server_port}/ok"})
        elif path == "/slow":
            time.sleep(1.0)
            self._answer(200, b"late")
        elif path == "/drip":
            # Headers at once, then one byte every 0.1 s: each read is quick, the whole is not.
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif path == "/big":
            self._answer(200, b"a" * (3 * 1024 * 1024), {"Content-Type": "application/json"})
        elif path == "/big-unsized":
            # No Content-Length: the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(48):
                self.wfile.write(b"b" * 65536)
        elif path == "/json":
            self._answer(200, json.dumps(LOOKUP_DOC).encode(), {"Content-Type": "application/json"})
        elif path == "/text":
            self._answer(200, b"<html>not json</html>", {"Content-Type": "text/html"})
        else:
            self._answer(404, b"not here")

    do_POST = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: Server

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out on purpose leave broken pipes behind


def _serve(context: ssl.SSLContext | None = None) -> Iterator[Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    state = Server(httpd.server_port)
    httpd.state = state
    if context is not None:
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def _http_session() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture
def http_server(_http_session: Server) -> Server:
    """A plain HTTP server on 127.0.0.1 (random port), its log emptied for this test."""
    _http_session.received.clear()
    return _http_session


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name ``localhost`` only (no IP SAN): cert, key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="session")
def _https_session(tls_cert: tuple[Path, Path]) -> Iterator[Server]:
    cert, key = tls_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    holder: list[Server] = []

    def remember_sni(_sock: Any, name: str | None, _ctx: Any) -> None:
        holder[0].sni.append(name)

    context.sni_callback = remember_sni
    for state in _serve(context):
        holder.append(state)
        yield state


@pytest.fixture
def https_server(_https_session: Server) -> Server:
    """An HTTPS server on 127.0.0.1 whose certificate names ``localhost``."""
    _https_session.received.clear()
    _https_session.sni.clear()
    return _https_session


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
