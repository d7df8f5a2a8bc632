"""The web side of the runner: the settings of jobs, the relay and the hand-off after commit."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from runtime.flows.outbox import RunnerSettings, configure


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

