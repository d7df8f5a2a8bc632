"""``docket mail ingest``: an MTA pipes a reply (RFC 5322 on stdin) into its ticket.

Exit status follows sysexits so that the MTA bounces a refused message with our reason:
0 added, 65 (EX_DATAERR) refused.
"""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.db import db
from runtime.inbound import MAX_MESSAGE, Rejected, ingest_message

EX_DATAERR = 65


@click.group("mail")
def mail_group() -> None:
    """Inbound email."""


@mail_group.command("ingest")
@with_appcontext
def mail_ingest() -> None:
    """Add the message on stdin to the ticket named by its reply address."""
    raw = sys.stdin.buffer.read(MAX_MESSAGE + 1)
    try:
        result = ingest_message(session=db(), raw=raw, secret=current_app.config["SECRET_KEY"])
    except Rejected as exc:
        db().rollback()
        click.echo(f"rejected: {exc.detail}", err=True)
        sys.exit(EX_DATAERR)
    db().commit()
    click.echo(f"added to ticket #{result.ticket_number} as comment {result.comment_id} "
               f"from {result.sender}")
