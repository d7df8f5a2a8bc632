"""The baseline for bench/submissions.py: the least a Flask app can do per submission.

One POST endpoint that parses a JSON body, INSERTs one row holding it as JSONB (SQLAlchemy
Core, pooled engine on ``DATABASE_URL``) and commits, answering 201 with the new id. It is
served by the very same gunicorn command as Docket, so the ratio docket/baseline isolates
what Docket adds on top of "Flask + one committed INSERT on the same PostgreSQL".

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench \
        gunicorn -w 4 --threads 1 -b 127.0.0.1:8001 bench.baseline_app:app
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    MetaData,
    Table,
    create_engine,
    func,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/docket_bench"

METADATA = MetaData()
#: One row per accepted submission; created by bench/submissions.py before gunicorn starts.
SUBMISSIONS = Table(
    "bench_baseline_submissions",
    METADATA,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("payload", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)


def create_app(url: str) -> Flask:
    """A Flask app with ``POST /submit`` (and ``GET /healthz``) on the database at ``url``."""
    app = Flask(__name__)
    engine = create_engine(url)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok")

    @app.post("/submit")
    def submit() -> Any:
        body = request.get_json()
        with engine.begin() as conn:  # BEGIN; INSERT ... RETURNING id; COMMIT
            new_id = conn.execute(
                insert(SUBMISSIONS).values(payload=body).returning(SUBMISSIONS.c.id)
            ).scalar_one()
        return jsonify(id=new_id), 201

    return app


app = create_app(os.environ.get("DATABASE_URL") or DEFAULT_URL)
