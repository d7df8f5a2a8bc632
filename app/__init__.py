"""The Flask application: factory, extensions, blueprints."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from app.assets import init_assets
from app.config import load_config
from app.db import init_db
from app.errors import register_error_handlers
from app.extensions import init_extensions
from app.jobs import init_jobs
from core.db import make_engine, make_sessionmaker
from runtime.audit import install as install_audit

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config: dict[str, Any] | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
) -> Flask:
    """Make the app from the environment, overridden by ``config`` (tests pass their own)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(load_config(Path(app.instance_path)))
    app.config.update(config or {})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if session_factory is None:
        session_factory = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    init_db(app, session_factory)
    install_audit()
    init_jobs(app)
    init_extensions(app)
    init_assets(app)
    register_error_handlers(app)

    from app import (
        admin_audit,
        admin_statuses,
        api,
        builder,
        health,
        knowledge,
        notification_pages,
        pages,
        queues,
        ticket_page,
        workspace,
    )

    api.register(app)
    builder.register(app)
    health.register(app)
    pages.register(app)
    workspace.register(app)
    queues.register(app)
    knowledge.register(app)
    admin_audit.register(app)
    admin_statuses.register(app)
    notification_pages.register(app)
    ticket_page.register(app)
    return app
