"""The web side of the runner: settings for jobs, and handing new outbox rows to RQ."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from redis.exceptions import RedisError

from app.db import db
from runtime.flows.models import NEW_OUTBOX
from runtime.flows.outbox import RunnerSettings, configure, enqueue_messages
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
        extra={"reply_secret": app.config["SECRET_KEY"]},
    )


def init_jobs(app: Flask) -> None:
    """Configure jobs and the relay of this process."""
    configure(runner_settings(app))


def hand_off() -> None:
    """After a commit: enqueue the outbox rows this request wrote (Redis only, no database
    work; if Redis is down the relay sends them once they are due)."""
    ids = db().info.pop(NEW_OUTBOX, [])
    if not ids:
        return
    try:
        enqueue_messages(redis_connection(current_app.config["REDIS_URL"]), ids)
    except RedisError as exc:  # never fail a request that already committed
        log.warning("hand-off of outbox %s deferred to the relay: %s", ids, exc)
