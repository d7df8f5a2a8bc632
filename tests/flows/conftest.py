"""Flows against real parts: a database with real commits, a Redis we may stop, RQ workers,
and a local HTTP receiver standing in for the outside world.

Each test gets its own freshly migrated database (PostgreSQL when DATABASE_URL or CI says
so) because workers in other threads and processes must see committed rows.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from builder.flows import service as flows
from builder.forms import service as forms
from core.db import make_engine, make_sessionmaker
from core.people import Role, create_team, create_user, issue_token
from tests.conftest import _database_url, fresh_database, require_service
from tests.forms_fixtures import simple_form


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of our own on a free port, which tests may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            require_service("redis-server", "install Debian's redis-server package")
        self.binary = str(binary)
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Kill it (its data is gone: it keeps nothing on disk)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis, stopped after the test."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class Receiver:
    """A local webhook receiver that applies each webhook-id's effect once."""

    url: str
    deliveries: list[str] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 recording webhook deliveries."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            message_id = self.headers.get("webhook-id", "")
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.started.set()
            with state.lock:
                state.deliveries.append(message_id)
            if state.delay:
                time.sleep(state.delay)
            with state.lock:
                if state.applied[message_id] == 0:  # the receiver's own idempotency check
                    state.applied[message_id] += 1
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class World:
    """A committed database with the app on it."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    app: Flask
    requester_headers: dict[str, str]


@pytest.fixture
def world_factory(tmp_path: Path) -> Iterator[Callable[..., World]]:
    """Build a World: fresh database, people, the simple form and a flow bound to it."""
    engines: list[Engine] = []

    def build(flow: dict[str, Any], *, redis_url: str | None, agents: int = 2,
              allowed_hosts: str = "127.0.0.1") -> World:
        base = make_url(_database_url(tmp_path))
        url = (str(base.set(database=f"{base.database}_flows"))
               if base.drivername.startswith("postgresql") else f"sqlite:///{tmp_path / 'w.db'}")
        fresh_database(url).dispose()
        engine = make_engine(url, pool_size=25)  # room for 20 concurrent voters
        engines.append(engine)
        factory = make_sessionmaker(engine)
        with factory() as session:
            create_team(session=session, key="after-sales", name="After-sales")
            for index in range(agents):
                create_user(session=session, email=f"agent{index}@example.com",
                            name=f"Agent {index}", role=Role.AGENT, team_keys=("after-sales",),
                            lead=True)
            requester = create_user(session=session, email="req@example.com", name="Req",
                                    role=Role.REQUESTER)
            token = issue_token(session=session, user=requester)
            forms.create_form(session=session, key="simple", title="Simple", actor=None,
                              definition=simple_form())
            forms.publish_form(session=session, key="simple", actor=None)
            flows.create_flow(session=session, key="flow", title="Flow", actor=None,
                              definition=flow)
            flows.publish_flow(session=session, key="flow", actor=None)
            session.commit()
        os.environ["WEBHOOK_ALLOWED_HOSTS"] = allowed_hosts
        app = create_app({"TESTING": True, "DATABASE_URL": url, "REDIS_URL": redis_url,
                          "UPLOAD_ROOT": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": False,
                          "WEBHOOK_ALLOWED_HOSTS": allowed_hosts},
                         session_factory=factory)
        return World(url, engine, factory, app, {"Authorization": f"Bearer {token}"})

    yield build
    os.environ.pop("WEBHOOK_ALLOWED_HOSTS", None)
    for engine in engines:
        engine.dispose()


def webhook_flow(url: str) -> dict[str, Any]:
    """start (form simple) -> webhook -> end."""
    return {"formatVersion": 1, "key": "flow", "title": {"en": "Hook"},
            "nodes": [
                {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
                 "data": {"trigger": "form.submitted", "form": "simple"}},
                {"id": "hook", "type": "action", "position": {"x": 200, "y": 0},
                 "data": {"action": "webhook", "url": url, "secret": "s3cret",
                          "retry": {"max": 5}}},
                {"id": "done", "type": "end", "position": {"x": 400, "y": 0},
                 "data": {"outcome": "resolved"}}],
            "edges": [{"id": "e1", "source": "start", "target": "hook"},
                      {"id": "e2", "source": "hook", "target": "done"}]}


def submission(index: int) -> str:
    """A valid body for the simple form."""
    return json.dumps({"data": {"category": "question", "summary": f"Request {index}"}})
