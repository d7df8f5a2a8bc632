"""Shared fixtures: a migrated database, per-test isolation, the app, users and forms.

The database is SQLite unless DATABASE_URL is set; with CI=true it is PostgreSQL and must
be reachable (likewise Redis and Chromium): a missing service fails the run, never skips.
Each test runs inside an outer transaction that is rolled back; the app's commits only
release savepoints (SQLAlchemy's "join a session into an external transaction").
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from app.migrate import upgrade
from builder.forms import service as forms
from core.db import make_engine
from core.people import Role, User, create_user, issue_token

CI = os.environ.get("CI", "").lower() == "true"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_test"
DEMO = Path(__file__).resolve().parent.parent / "builder" / "forms" / "demo"
PASSWORD = "correct horse battery"


def require_service(name: str, reason: str) -> None:
    """Skip locally, fail under CI=true: CI must run every test."""
    if CI:
        pytest.fail(f"{name} is required under CI=true: {reason}", pytrace=False)
    pytest.skip(f"{name} not available: {reason}")


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("DATABASE_URL") or (PG_DEFAULT if CI else "")
    if not url:
        return f"sqlite:///{tmp_root / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return str(make_url(url).set(database=f"{make_url(url).database}{worker}"))


def fresh_database(url: str) -> Engine:
    """Create an empty database at ``url`` (dropping an old one) and migrate it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    if parsed.get_backend_name() == "postgresql":
        admin = make_engine(str(parsed.set(database="postgres")), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        except Exception as exc:  # connection refused, auth ...: say what failed
            require_service("PostgreSQL", f"{type(exc).__name__}: {exc}")
        finally:
            admin.dispose()
    upgrade(url)
    return make_engine(url)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database for the whole run."""
    engine = fresh_database(_database_url(tmp_path_factory.mktemp("db")))
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data."""
    with session_factory() as s:
        yield s


@pytest.fixture
def app(session_factory: sessionmaker[Session], tmp_path: Path) -> Flask:
    """The app on the test's transaction, uploads in a temp folder."""
    return create_app(
        {"TESTING": True, "UPLOAD_ROOT": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": False,
         "REDIS_URL": os.environ.get("REDIS_URL") or None},
        session_factory=session_factory,
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client (cookies, no login)."""
    return app.test_client()


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """Create a user: make_user(role=Role.AGENT, email=..., teams=(...))."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.REQUESTER, email: str | None = None, **kwargs: Any) -> User:
        email = email or f"{role}{next(counter)}@example.com"
        user = create_user(session=session, email=email, name=email.split("@")[0], role=role,
                           password=PASSWORD, team_keys=tuple(kwargs.pop("teams", ())), **kwargs)
        session.commit()
        return user

    return make


@pytest.fixture
def bearer(session: Session) -> Callable[[User], dict[str, str]]:
    """Authorization headers with a fresh API token for a user."""

    def headers(user: User) -> dict[str, str]:
        token = issue_token(session=session, user=user)
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def as_role(make_user: Callable[..., User],
            bearer: Callable[[User], dict[str, str]]) -> Callable[[Role], dict[str, str]]:
    """Headers of a new user with the given role."""
    return lambda role: bearer(make_user(role))


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page renders (cookie session)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign a user in through the real login form."""

    def sign_in(user: User) -> FlaskClient:
        response = client.post("/login", data={
            "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


def demo_definition(name: str) -> dict[str, Any]:
    """A copy of a demo form definition (repair, refund)."""
    return copy.deepcopy(json.loads((DEMO / f"{name}.json").read_text()))


@pytest.fixture
def make_form(session: Session, make_user: Callable[..., User]) -> Callable[..., Any]:
    """Create (and by default publish) a form: make_form(definition, key=..., publish=True)."""

    def make(definition: dict[str, Any] | None = None, *, key: str | None = None,
             publish: bool = True) -> Any:
        definition = copy.deepcopy(definition or demo_definition("refund"))
        key = key or definition["key"]
        definition["key"] = key
        form = forms.create_form(session=session, key=key, title=definition["title"],
                                 actor=None, definition=definition)
        if publish:
            forms.publish_form(session=session, key=key, actor=None)
        session.commit()
        return form

    return make
