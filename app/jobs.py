"""The web side of the runner: settings for jobs, and handing new outbox rows to RQ."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app

from app.db import db
from runtime.flows.outbox import RunnerSettings, configure, relay_pending
from runtime.queue import redis_connection

log = logging.getLogger(__name__)


def runner_settings(app: Flask) -> RunnerSettings:
    """The runner's settings from the app's config."""
    hosts = app.config.get("WEBHOOK_ALLOWED_HOSTS") or ""
    return RunnerSettings(
        session_factory=app.extensions["docket.sessions"],
        redis_url=app.config["REDIS_URL"],
        allowed_hosts=frozenset(h.strip().lower() for h in hosts.split(",") if h.strip()),
        smtp_url=app.config.get("SMTP_URL"),
        mail_sink=Path(app.instance_path) / "mail",
        mail_from=app.config.get("MAIL_FROM", "docket@localhost"),
    )


def init_jobs(app: Flask) -> None:
    """Configure jobs and the relay of this process."""
    configure(runner_settings(app))


def hand_off(ticket_id: int) -> None:
    """After a commit: enqueue the ticket's new outbox rows now (the relay's poll is the
    safety net when Redis is down)."""
    try:
        relay_pending(session=db(), connection=redis_connection(current_app.config["REDIS_URL"]),
                      ticket_id=ticket_id)
    except Exception:  # never fail a request that already committed; the poll retries
        log.warning("hand-off of ticket %s deferred to the relay", ticket_id, exc_info=True)
        db().rollback()
