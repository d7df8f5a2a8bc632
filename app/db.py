"""One SQLAlchemy session per request, from the session factory the app was made with."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from runtime.audit import ACTOR


def init_db(app: Flask, session_factory: sessionmaker[Session]) -> None:
    """Attach the session factory to ``app`` and close each request's session after it."""
    app.extensions["docket.sessions"] = session_factory

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()  # rolls back anything the view did not commit


def db() -> Session:
    """The current request's session; the view commits it after the service call."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["docket.sessions"]()
        g.db_session.info[ACTOR] = _signed_in_user_id
    session: Session = g.db_session
    return session


def _signed_in_user_id() -> int | None:
    """The id of the user this request acts for, for the audit trail (read without SQL:
    only a user Flask-Login already loaded counts)."""
    user = g.get("_login_user")
    if user is None or not hasattr(user, "_sa_instance_state"):
        return None  # nobody signed in (or Flask-Login's anonymous user)
    identity = inspect(user).identity
    return int(identity[0]) if identity else None
