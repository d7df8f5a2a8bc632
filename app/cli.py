"""The ``docket`` command: run the embedded demo, the production processes, admin tasks."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from app import create_app
from app.db import db
from app.frontend_build import MANIFEST, SOURCE, BuildError, ensure_frontend
from app.jobs import runner_settings
from app.mail_cli import mail_group
from app.migrate import upgrade
from core.people import Role, create_user, get_user_by_email, issue_token
from runtime.flows.outbox import run_relay
from runtime.queue import redis_connection, run_worker, start_embedded_worker


def _make_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_default_commands=False,
             add_version_option=False)
def main() -> None:
    """Docket: build your own service-ticket system."""


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Embedded mode: build the frontend if needed, migrate, seed the demo once, serve with
    an in-process worker."""
    from app.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # The overrides exist for tests, which must not delete or rebuild the real build.
    try:
        ensure_frontend(
            source=Path(os.environ.get("DOCKET_FRONTEND_SOURCE") or SOURCE),
            manifest=Path(os.environ.get("DOCKET_FRONTEND_MANIFEST") or MANIFEST),
            echo=click.echo)
    except BuildError as exc:
        raise click.ClickException(str(exc)) from exc
    upgrade(app.config["DATABASE_URL"])
    session = db()
    seeded = seed_demo(session=session, only_if_empty=True)
    session.commit()
    start_embedded_worker(redis_connection(app.config["REDIS_URL"]))
    threading.Thread(target=run_relay, args=(runner_settings(app), threading.Event()),
                     name="docket-relay", daemon=True).start()
    url = f"http://{host}:{port}/"
    click.echo("")
    click.echo(f"  Docket is running at {url}")
    click.echo(f"  Database: {app.config['DATABASE_URL']}")
    click.echo(f"  Sign in as (password for all: {DEMO_PASSWORD}):")
    for email, role, _name in DEMO_USERS:
        click.echo(f"    {role:<10} {email}")
    if not seeded:
        click.echo("  (demo data was already there; `docket demo seed` recreates it)")
    click.echo("")
    # Flask's app.run() refuses to serve inside its own CLI; run the same server directly
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command("web")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=4, show_default=True, type=int)
def web_command(bind: str, workers: int) -> None:
    """Production web server: gunicorn with several workers (stateless)."""
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "--bind", bind,
                               "--workers", str(workers), "app.wsgi:app"])


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Production job worker (needs REDIS_URL)."""
    url = current_app.config["REDIS_URL"]
    if not url:
        raise click.UsageError("Set REDIS_URL: a separate worker needs a real Redis.")
    run_worker(redis_connection(url), burst=burst)


@main.command("relay")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def relay_command(interval: float) -> None:
    """Production relay: hand outbox rows to RQ and fire due timers (needs REDIS_URL)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["REDIS_URL"]:
        raise click.UsageError("Set REDIS_URL: a separate relay needs a real Redis.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("relay running; Ctrl-C to stop")
    try:
        run_relay(runner_settings(app), stop, interval)
    except KeyboardInterrupt:
        stop.set()


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration (Alembic)."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@main.group("users")
def users_group() -> None:
    """People."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default="")
@click.option("--password", default=None, help="Prompted for when omitted.")
@click.option("--team", "teams", multiple=True, help="Team key (repeatable).")
@with_appcontext
def users_create(email: str, role: str, name: str, password: str | None,
                 teams: tuple[str, ...]) -> None:
    """Create a user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password is not None and len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    from core.errors import DocketError

    try:
        user = create_user(session=db(), email=email, name=name or email.split("@")[0],
                           role=Role(role), password=password, team_keys=teams)
    except DocketError as exc:
        raise click.ClickException(exc.detail) from exc
    db().commit()
    click.echo(f"created {user.role} {user.email}")


@main.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.option("--user", "email", required=True)
@click.option("--name", default="", help="What the token is for.")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Print a new API bearer token for a user (it is not stored in clear)."""
    user = get_user_by_email(session=db(), email=email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    token = issue_token(session=db(), user=user, name=name)
    db().commit()
    click.echo(token)


@main.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("seed")
@with_appcontext
def demo_seed() -> None:
    """(Re)create the demo users, team and forms."""
    from app.demo import seed_demo

    upgrade(current_app.config["DATABASE_URL"])
    seed_demo(session=db(), only_if_empty=False)
    db().commit()
    click.echo("demo data seeded")


main.add_command(mail_group)

if __name__ == "__main__":  # pragma: no cover
    main()
