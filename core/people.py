"""People: users with a role, teams with members and leads, and API tokens.

Passwords are hashed with Argon2id (argon2-cffi); API tokens are random strings of which
only a SHA-256 digest is stored, so a leaked database does not leak usable credentials.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, JSONDoc
from core.errors import Conflict, NotFound

_hasher = PasswordHasher()
TOKEN_PREFIX = "dkt_"


class Role(enum.StrEnum):
    """What a user may do; each role includes nothing of the others but what is stated."""

    ADMIN = "admin"
    DESIGNER = "designer"
    AGENT = "agent"
    REQUESTER = "requester"


class User(Base):
    """A person who signs in: requester, agent, designer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    #: Away agents (holiday, sick) are skipped by automatic assignment.
    away: Mapped[bool] = mapped_column(default=False)
    #: Skill tags matched by "skills" assignment, e.g. ["laptop", "zh"].
    skills: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Free attributes (e.g. customer level) that flow conditions see under ``_requester``.
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[TeamMember]] = relationship(back_populates="user")

    # The user protocol Flask-Login expects, duck-typed so that core/ needs no Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Inactive users cannot sign in."""
        return self.active

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session."""
        return str(self.id)

    def set_password(self, password: str) -> None:
        """Store an Argon2id hash of ``password``."""
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        if not self.password_hash:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def password_needs_rehash(self) -> bool:
        """True when the stored hash uses weaker parameters than today's defaults."""
        return bool(self.password_hash) and _hasher.check_needs_rehash(self.password_hash or "")


class Team(Base):
    """A group of agents that tickets can be assigned to (a queue)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    """A user's membership of a team; leads approve for the team."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    lead: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class ApiToken(Base):
    """A bearer token for API clients; only its SHA-256 digest is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email (case-insensitive), or None."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    team_keys: tuple[str, ...] = (),
    lead: bool = False,
) -> User:
    """Create a user, optionally with a password and team memberships."""
    email = email.strip().lower()
    if get_user_by_email(session=session, email=email):
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, name=name, role=Role(role), attributes={})
    if password:
        user.set_password(password)
    session.add(user)
    for key in team_keys:
        team = session.scalar(select(Team).where(Team.key == key))
        if team is None:
            raise NotFound(f"no team with key {key!r}")
        session.add(TeamMember(team=team, user=user, lead=lead))
    session.flush()
    return user


def create_team(*, session: Session, key: str, name: str) -> Team:
    """Create a team with a unique key."""
    if session.scalar(select(Team).where(Team.key == key)):
        raise Conflict(f"a team with key {key!r} already exists")
    team = Team(key=key, name=name)
    session.add(team)
    session.flush()
    return team


def issue_token(*, session: Session, user: User, name: str = "") -> str:
    """Create an API token for ``user`` and return it; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=_digest(token), name=name))
    session.flush()
    return token


#: ``last_used_at`` is refreshed at most this often, so that API calls stay read-only.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


#: Built once (constructing a SELECT costs more than running it); the user as the one entity
#: loaded, the token's columns as plain values.
_TOKEN_QUERY = (
    select(User, ApiToken.id, ApiToken.last_used_at).join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.digest == bindparam("digest"), ApiToken.revoked.is_(False))
)
_TOUCH_TOKEN = (update(ApiToken).where(ApiToken.id == bindparam("token"))
                .values(last_used_at=bindparam("now"))
                .execution_options(synchronize_session=False))


def user_for_token(*, session: Session, token: str) -> tuple[User | None, bool]:
    """The active user a bearer token belongs to (or None), and whether the token was touched.

    The caller commits when it was touched (its ``last_used_at`` moved forward).
    """
    row = session.execute(_TOKEN_QUERY, {"digest": _digest(token)}).first()
    if row is None or not row[0].active:
        return None, False
    user, token_id, last_used_at = row
    now = utcnow()
    touched = last_used_at is None or now - last_used_at > TOKEN_TOUCH_INTERVAL
    if touched:
        session.execute(_TOUCH_TOKEN, {"token": token_id, "now": now})
    return user, touched
