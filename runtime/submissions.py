"""Turning a submission into a ticket.

``submit_ticket`` takes the form's newest published version, computes visibility, drops
hidden values and validates (``runtime.checking``), resolves file and user references,
writes the ticket with its first timeline event and starts the flow bound to the form (its
first steps, tasks and outbox rows), all in the caller's transaction. With an
``Idempotency-Key`` the same key and body give back the same ticket; the same key with a
different body is refused.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Integer,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from builder.flows.models import FlowBinding, FlowVersion
from builder.forms.models import Form, FormVersion
from builder.forms.texts import localized
from core.clock import utcnow
from core.db import Base, insert_together
from core.errors import Conflict, InvalidSubmission, NotFound, Problem
from core.people import User, get_user_by_email
from runtime.audit import AuditEntry, created_entries
from runtime.checking import check_submission
from runtime.flows.runner import start_flow
from runtime.tickets.models import Attachment, Priority, Status, Ticket, TicketEvent
from runtime.tickets.numbering import NEXT_IN_SEQUENCE, has_sequence, next_ticket_number
from runtime.tickets.search import TicketSearch, new_document, ticket_document


def request_digest(data: Any) -> str:
    """A stable hash of a submission body, to recognise a replay."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Published:
    """What a submission needs of a form's current version (versions never change)."""

    form_id: int
    form_key: str
    version_id: int
    number: int
    hash: str
    definition: dict[str, Any]
    schema: dict[str, Any]
    #: The flow version new tickets follow (and its hash), if a flow is bound to the form.
    flow_version_id: int | None = None
    flow_hash: str | None = None


#: Definitions and schemas by content hash: what a hash names never changes.
_versions: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


#: Built once: constructing a SELECT costs more CPU than running it (measured, see bench/).
_CURRENT_VERSION = (
    select(Form.id, FormVersion.id, FormVersion.number, FormVersion.hash,
           FlowBinding.flow_version_id, FlowVersion.hash)
    .join(FormVersion, FormVersion.form_id == Form.id)
    .outerjoin(FlowBinding, FlowBinding.form_id == Form.id)
    .outerjoin(FlowVersion, FlowVersion.id == FlowBinding.flow_version_id)
    .where(Form.key == bindparam("key"), Form.archived.is_(False))
    .order_by(FormVersion.number.desc()).limit(1)
)


def published_version(*, session: Session, key: str) -> Published:
    """The version new tickets of form ``key`` are made with; NotFound if there is none.

    One small query per call (a form may be archived or republished, a flow bound, at any
    moment); the version's definition and schema come from a process cache after first use.
    """
    row = session.execute(_CURRENT_VERSION, {"key": key}).first()
    if row is None:
        raise NotFound(f"The form '{key}' is not open for submissions.")
    form_id, version_id, number, digest, flow_version_id, flow_hash = row
    if digest not in _versions:
        if len(_versions) >= 1024:
            _versions.clear()
        version = session.get_one(FormVersion, version_id)
        _versions[digest] = (version.definition, version.schema)
    definition, schema = _versions[digest]
    published = Published(form_id, key, version_id, number, digest, definition, schema,
                          flow_version_id, flow_hash)
    if len(_current) >= 1024:
        _current.clear()
    _current[key] = published
    return published


#: The last version each form key was seen with in this process. Submissions use it without
#: a query; the ticket INSERT checks in the database that it is still current (``_guard``),
#: and when it is not, the submission is made again from a fresh ``published_version``.
_current: dict[str, Published] = {}


def _bind_files(
    session: Session, field: dict[str, Any], refs: list[dict[str, Any]], requester: User,
) -> tuple[list[dict[str, Any]], list[Attachment], list[Problem]]:
    rules = field.get("validate") or {}
    accept = rules.get("accept") or []
    max_size = rules.get("maxSize")
    clean, bound, problems = [], [], []
    for index, ref in enumerate(refs):
        pointer = f"/{field['key']}/{index}"
        attachment = session.get(Attachment, str(ref.get("id", "")))
        if (attachment is None or attachment.uploader_id != requester.id
                or attachment.ticket_id is not None):
            problems.append(Problem(pointer, "file.missing", "This file was not uploaded by you."))
            continue
        if accept and not any(fnmatch.fnmatch(attachment.content_type, p) for p in accept):
            problems.append(Problem(pointer, "file.type", "This type of file is not accepted."))
            continue
        if max_size and attachment.size > max_size:
            problems.append(Problem(pointer, "file.tooLarge", "The file is too large.",
                                    {"limit": round(max_size / (1024 * 1024), 1)}))
            continue
        bound.append(attachment)
        clean.append({"id": attachment.id, "name": attachment.name,
                      "size": attachment.size, "type": attachment.content_type})
    return clean, bound, problems


def _resolve_references(
    session: Session, definition: dict[str, Any], data: dict[str, Any], requester: User,
) -> tuple[list[Attachment], list[Problem]]:
    """Check file and user references against the database; rewrite file refs from it."""
    files: list[Attachment] = []
    problems: list[Problem] = []
    for field in definition.get("fields", []):
        key = field.get("key")
        if key not in data:
            continue
        if field["type"] == "file":
            data[key], bound, found = _bind_files(session, field, data[key], requester)
            files += bound
            problems += found
        elif field["type"] == "user":
            user = get_user_by_email(session=session, email=data[key])
            wrong_role = field.get("role") and user is not None and user.role != field["role"]
            if user is None or not user.active or wrong_role:
                problems.append(Problem(f"/{key}", "user.unknown", "No such user."))
            else:
                data[key] = user.email
    return files, problems


def _subject(definition: dict[str, Any], data: dict[str, Any], locale: str) -> str:
    """The subjectField's value (an option's label for choices), else the form title."""
    key = definition.get("subjectField")
    field = next((f for f in definition.get("fields", []) if f.get("key") == key), None)
    value = data.get(key or "")
    if field is not None and isinstance(value, str) and value.strip():
        labels = {o.get("value"): o.get("label") for o in field.get("options", [])}
        return (localized(labels[value], locale) if value in labels else value.strip())[:300]
    return (localized(definition.get("title"), locale) or str(definition.get("key", "")))[:300]


def _replay(session: Session, requester: User, key: str, digest: str | None) -> Ticket | None:
    ticket = session.scalar(
        select(Ticket).where(Ticket.requester_id == requester.id, Ticket.idempotency_key == key)
    )
    if ticket is not None and ticket.request_hash != digest:
        raise Conflict("This Idempotency-Key was already used for a different submission.")
    return ticket


def submit_ticket(
    *, session: Session, form_key: str, data: Any, requester: User,
    idempotency_key: str | None = None, channel: str = "web", locale: str = "en",
) -> tuple[Ticket, bool]:
    """Validate ``data`` against the form and create a ticket; returns (ticket, created)."""
    digest = request_digest({"form": form_key, "data": data}) if idempotency_key else None
    if idempotency_key and (ticket := _replay(session, requester, idempotency_key, digest)):
        return ticket, False
    # what this process last saw of the form, else what it is now; a cached version that
    # fails (the INSERT's guard, or the checks) is tried once more against a fresh read
    version = _current.get(form_key)
    cached = version is not None
    version = version or published_version(session=session, key=form_key)
    while True:
        ticket = None
        try:
            clean, files = _checked(session, version, data, requester)
        except InvalidSubmission:
            if not cached:
                raise
        else:
            values = {
                "form_id": version.form_id, "form_version_id": version.version_id,
                "form_key": version.form_key, "form_version_number": version.number,
                "requester_id": requester.id, "channel": channel, "locale": locale,
                "data": clean, "subject": _subject(version.definition, clean, locale),
                "idempotency_key": idempotency_key,
                "request_hash": digest,
            }
            if idempotency_key:
                try:
                    with session.begin_nested():
                        ticket = _insert_ticket(session, values, version, channel)
                except IntegrityError:
                    # a concurrent request with the same Idempotency-Key committed first
                    if replayed := _replay(session, requester, idempotency_key, digest):
                        return replayed, False
                    raise
            else:
                ticket = _insert_ticket(session, values, version, channel)
        if ticket is not None:
            break
        if not cached:  # republished, archived or rebound between the read and the write
            raise Conflict("The form changed while this was submitted. Send it again.")
        version, cached = published_version(session=session, key=form_key), False
    for attachment in files:
        attachment.ticket_id = ticket.id
    set_committed_value(ticket, "attachments", files)
    if version.flow_version_id is not None:
        start_flow(session=session, ticket=ticket, version_id=version.flow_version_id,
                   digest=version.flow_hash)
    # one flush writes everything the flow's first steps made (and binds the files)
    session.flush()
    return ticket, True


def _checked(
    session: Session, version: Published, data: Any, requester: User,
) -> tuple[dict[str, Any], list[Attachment]]:
    """The data to store and the files it binds; InvalidSubmission with every problem."""
    clean, problems = check_submission(version.definition, version.schema, data, version.hash)
    if not problems:
        files, problems = _resolve_references(session, version.definition, clean, requester)
    if problems:
        raise InvalidSubmission(problems, "Some fields need your attention.")
    return clean, files


def _insert_ticket(
    session: Session, values: dict[str, Any], version: Published, channel: str,
) -> Ticket | None:
    """INSERT the new ticket with its first timeline event, search row and audit entry, and
    make it a loaded object from the values sent plus the ones the database made
    (RETURNING); None, and nothing written, when ``version`` is no longer the form's current
    one. Statements built once, not the unit of work: for rows known in advance, the flush's
    bookkeeping and building a statement per call cost more than everything else a
    submission does (bench/profile_submission.py). On PostgreSQL the four rows are one
    statement (the others are data-modifying CTEs reading the ticket's RETURNING row)."""
    now = utcnow()
    values.update(status=Status.NEW, priority=Priority.NORMAL, assignee_id=None, team_id=None,
                  created_at=now, updated_at=now, revision=1)
    sequence = has_sequence(session)
    if not sequence:
        values["number"] = next_ticket_number(session)
    ticket = Ticket()
    for key, value in values.items():
        set_committed_value(ticket, key, value)
    event = {"kind": "created", "actor_id": values["requester_id"], "created_at": now,
             "payload": {"form": version.form_key, "version": version.number, "channel": channel}}
    together = session.get_bind().dialect.name == "postgresql"
    # the audit entry of the values sent (the columns the database makes are added in SQL)
    audit = created_entries(session, [ticket]) if together else []
    flow = version.flow_version_id is not None
    params = {**values, "version_hash": version.hash, "flow_version_id": version.flow_version_id,
              "flow_hash": version.flow_hash}
    if together:
        params.update({f"event_{key}": value for key, value in event.items()},
                      search_document=ticket_document(values["subject"], values["data"]))
    for entry in audit:
        params.update({f"audit_{key}": value for key, value in entry.items()})
    found = session.execute(
        _ticket_insert(sequence, flow, together, bool(audit)), params).first()
    if found is None:
        return None
    for key, value in found._mapping.items():
        set_committed_value(ticket, key, value)
    make_transient_to_detached(ticket)  # as if a query had loaded it: persistent once added
    session.add(ticket)
    if not together:
        insert_together(session, [
            (TicketEvent, {"ticket_id": ticket.id, **event}),
            (TicketSearch, new_document(ticket)),
            *((AuditEntry, row) for row in created_entries(session, [ticket])),
        ])
    return ticket


@functools.cache
def _ticket_insert(sequence: bool, flow: bool, together: bool, audited: bool) -> Executable:
    table = cast(Table, Ticket.__table__)
    given: dict[str, Any] = {key: bindparam(key, type_=table.c[key].type) for key in _GIVEN}
    given["number"] = NEXT_IN_SEQUENCE if sequence else bindparam("number", type_=Integer)
    row = select(*given.values()).where(*_guard(flow))
    # only what the database decides comes back (the id, the number, SQL defaults)
    made = [column for column in table.c if column.key not in _GIVEN]
    ticket = insert(table).from_select(list(given), row).returning(*made)
    if not together:
        return ticket
    new = ticket.cte("new_ticket")
    rows: list[tuple[type[Base], dict[str, Any]]] = [
        (TicketEvent, {"ticket_id": new.c.id, **_sent(TicketEvent, "event", _EVENT)}),
        (TicketSearch, {"ticket_id": new.c.id, **_sent(TicketSearch, "search", ["document"])}),
    ]
    if audited:  # Ticket's audit identity is its number; id, number, status_key are made here
        rows.append((AuditEntry, {
            **_sent(AuditEntry, "audit", ["at", "actor_id", "entity", "action"]),
            "entity_id": cast_(new.c.number, String),
            "after": bindparam("audit_after", type_=JSONB).op("||")(func.jsonb_build_object(
                *(part for column in made for part in (column.key, new.c[column.key]))))}))
    dependents = [insert(cast(Table, model.__table__)).from_select(
        list(columns), select(*columns.values()).select_from(new)).cte(f"new_{i}")
        for i, (model, columns) in enumerate(rows)]
    return select(new).add_cte(*dependents)


def _sent(model: type[Base], prefix: str, keys: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """Bind parameters ``<prefix>_<key>`` typed like the columns of ``model`` they fill."""
    table = cast(Table, model.__table__)
    return {key: bindparam(f"{prefix}_{key}", type_=table.c[key].type) for key in keys}


#: The columns of the first timeline event a submission sends (its ticket_id comes from SQL).
_EVENT = ("kind", "actor_id", "created_at", "payload")


def _guard(flow: bool) -> list[ColumnElement[bool]]:
    """Conditions under which the version a submission was checked against is still the
    form's current one: the form is not archived, the version (by id and content hash) is
    its newest, and the same flow version (by id and hash), or none, is bound."""
    form_id = bindparam("form_id", type_=Integer)
    number = bindparam("form_version_number", type_=Integer)
    bound = select(FlowBinding.id).where(FlowBinding.form_id == form_id)
    if flow:
        bound = bound.join(FlowVersion, FlowVersion.id == FlowBinding.flow_version_id).where(
            FlowVersion.id == bindparam("flow_version_id", type_=Integer),
            FlowVersion.hash == bindparam("flow_hash", type_=String))
    return [
        exists().where(Form.id == form_id, Form.archived.is_(False)),
        exists().where(FormVersion.id == bindparam("form_version_id", type_=Integer),
                       FormVersion.form_id == form_id, FormVersion.number == number,
                       FormVersion.hash == bindparam("version_hash", type_=String)),
        ~exists().where(FormVersion.form_id == form_id, FormVersion.number > number),
        exists(bound) if flow else ~exists(bound),
    ]


#: The columns a submission sets; the number comes from the sequence or is taken first.
_GIVEN = ("form_id", "form_version_id", "form_key", "form_version_number", "requester_id",
          "channel", "locale", "data", "subject", "idempotency_key", "request_hash", "status",
          "priority", "assignee_id", "team_id", "created_at", "updated_at", "revision")
