"""/healthz: the database, Redis and the worker heartbeat, each with its own verdict."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify
from sqlalchemy import text

from app.db import db
from runtime.queue import redis_connection, worker_heartbeats


def _check_database() -> dict[str, Any]:
    try:
        db().execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any driver error means "down"; say which
        return {"ok": False, "error": type(exc).__name__}


def _check_redis() -> dict[str, Any]:
    try:
        connection = redis_connection(current_app.config["REDIS_URL"])
        connection.ping()
        return {"ok": True, "workers": worker_heartbeats(connection)}
    except Exception as exc:  # redis-py raises many kinds; all mean "unreachable"
        return {"ok": False, "error": type(exc).__name__}


def register(app: Flask) -> None:
    """Add the /healthz endpoint (no login: load balancers call it)."""

    @app.get("/healthz")
    def healthz() -> Any:
        database = _check_database()
        redis = _check_redis()
        workers = redis.pop("workers", [])
        status = "ok" if database["ok"] and redis["ok"] and workers else (
            "down" if not database["ok"] else "degraded")
        body = {"status": status, "database": database, "redis": redis,
                "workers": {"ok": bool(workers), "alive": workers}}
        # Redis or the worker being down delays automation but loses nothing: still 200.
        return jsonify(body), 200 if database["ok"] else 503
