"""Form design services: create, drafts, validation, publishing, versions, import/export.

A draft is stored as sent (it may be incomplete); only ``publish_form`` insists on a valid
definition, and then freezes it, with its compiled schema and content hash, as the next
numbered version. Re-publishing an unchanged draft returns the latest version.
"""

from __future__ import annotations

import contextlib
import copy
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.forms.definition import compile_schema, definition_hash, validate_definition
from builder.forms.models import Form, FormVersion
from core.errors import Conflict, InvalidDefinition, NotFound, Problem
from core.people import User

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
EXPORT_KIND = "docket.form"


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise InvalidDefinition(
            [
                Problem(
                    "/key",
                    "pattern",
                    "Use 1-64 lowercase letters, digits, '-' or '_', starting with a letter.",
                )
            ]
        )
    return key


def _check_title(title: Any) -> dict[str, str]:
    if isinstance(title, str) and title.strip():
        return {"en": title.strip()}
    if (
        isinstance(title, dict)
        and title
        and all(isinstance(k, str) and isinstance(v, str) for k, v in title.items())
        and any(v.strip() for v in title.values())
    ):
        return dict(title)
    raise InvalidDefinition([Problem("/title", "required", "Give the form a title.")])


def empty_definition(key: str, title: dict[str, str]) -> dict[str, Any]:
    """The draft a new form starts with."""
    return {"formatVersion": 1, "key": key, "title": title, "fields": [], "layout": []}


def list_forms(*, session: Session, include_archived: bool = False) -> list[Form]:
    """All forms by key, without archived ones unless asked."""
    query = select(Form).order_by(Form.key)
    if not include_archived:
        query = query.where(Form.archived.is_(False))
    return list(session.scalars(query))


def get_form(*, session: Session, key: str, for_update: bool = False) -> Form:
    """The form with ``key``, or NotFound."""
    query = select(Form).where(Form.key == key)
    if for_update:
        query = query.with_for_update()
    form = session.scalar(query)
    if form is None:
        raise NotFound(f"There is no form with key '{key}'.")
    return form


def create_form(
    *,
    session: Session,
    key: str,
    title: Any,
    actor: User | None,
    definition: dict[str, Any] | None = None,
) -> Form:
    """Create a form with an empty (or the given) draft."""
    _check_key(key)
    title = _check_title(title)
    if session.scalar(select(Form.id).where(Form.key == key)) is not None:
        raise Conflict(f"A form with key '{key}' already exists.")
    draft = copy.deepcopy(definition) if definition else empty_definition(key, title)
    draft["key"] = key
    form = Form(key=key, title=title, draft=draft, created_by_id=actor.id if actor else None)
    session.add(form)
    session.flush()
    return form


def update_form(
    *, session: Session, key: str, title: Any = None, revision: int | None = None
) -> Form:
    """Change a form's title (and the draft's), checking the caller's revision if given."""
    form = get_form(session=session, key=key)
    _check_revision(form, revision)
    if title is not None:
        form.title = _check_title(title)
        form.draft = {**form.draft, "title": form.title}
    session.flush()
    return form


def archive_form(*, session: Session, key: str) -> Form:
    """Hide a form from requesters; its versions and tickets stay."""
    form = get_form(session=session, key=key)
    form.archived = True
    session.flush()
    return form


def _check_revision(form: Form, revision: int | None) -> None:
    if revision is not None and revision != form.revision:
        raise Conflict(
            f"The form was changed since you loaded it (revision {form.revision}, "
            f"yours {revision}). Reload it and apply your change again."
        )


def save_draft(
    *, session: Session, key: str, definition: dict[str, Any], revision: int | None = None
) -> Form:
    """Store a draft as sent (incomplete is fine); the form's key always wins."""
    form = get_form(session=session, key=key)
    _check_revision(form, revision)
    draft = copy.deepcopy(definition)
    draft["key"] = form.key
    form.draft = draft
    # an unfinished title stays in the draft only; publishing will report it
    with contextlib.suppress(InvalidDefinition):
        form.title = _check_title(draft.get("title"))
    session.flush()
    return form


def validate_draft(*, session: Session, key: str) -> list[Problem]:
    """Every problem that would stop the draft from being published."""
    return validate_definition(get_form(session=session, key=key).draft)


def latest_version(*, session: Session, form: Form) -> FormVersion | None:
    """The newest published version of ``form``, or None."""
    return session.scalar(
        select(FormVersion)
        .where(FormVersion.form_id == form.id)
        .order_by(FormVersion.number.desc())
        .limit(1)
    )


def publish_form(*, session: Session, key: str, actor: User | None) -> tuple[FormVersion, bool]:
    """Freeze the draft as the next version; returns (version, created)."""
    form = get_form(session=session, key=key, for_update=True)
    problems = validate_definition(form.draft)
    if problems:
        raise InvalidDefinition(problems, "The draft has problems; fix them and publish again.")
    digest = definition_hash(form.draft)
    latest = latest_version(session=session, form=form)
    if latest is not None and latest.hash == digest:
        return latest, False
    number = (
        session.scalar(select(func.max(FormVersion.number)).where(FormVersion.form_id == form.id))
        or 0
    ) + 1
    version = FormVersion(
        form_id=form.id,
        number=number,
        definition=copy.deepcopy(form.draft),
        schema=compile_schema(form.draft),
        hash=digest,
        published_by_id=actor.id if actor else None,
    )
    session.add(version)
    session.flush()
    return version, True


def list_versions(*, session: Session, key: str) -> list[FormVersion]:
    """Every published version of a form, oldest first."""
    form = get_form(session=session, key=key)
    return list(
        session.scalars(
            select(FormVersion).where(FormVersion.form_id == form.id).order_by(FormVersion.number)
        )
    )


def get_version(*, session: Session, key: str, number: int) -> FormVersion:
    """One published version, or NotFound."""
    form = get_form(session=session, key=key)
    version = session.scalar(
        select(FormVersion).where(FormVersion.form_id == form.id, FormVersion.number == number)
    )
    if version is None:
        raise NotFound(f"Form '{key}' has no version {number}.")
    return version


def export_form(*, session: Session, key: str) -> dict[str, Any]:
    """The form as one portable JSON document (its draft definition)."""
    form = get_form(session=session, key=key)
    return {
        "kind": EXPORT_KIND,
        "key": form.key,
        "title": form.title,
        "definition": copy.deepcopy(form.draft),
    }


def import_form(
    *, session: Session, document: Any, actor: User | None, replace: bool = False
) -> Form:
    """Create a form from an exported document, or replace an existing form's draft."""
    if not isinstance(document, dict) or document.get("kind") != EXPORT_KIND:
        raise InvalidDefinition(
            [Problem("/kind", "const", f"Not a Docket form export (kind must be '{EXPORT_KIND}').")]
        )
    definition = document.get("definition")
    if not isinstance(definition, dict):
        raise InvalidDefinition(
            [Problem("/definition", "type", "The definition must be an object.")]
        )
    key = _check_key(document.get("key"))
    existing = session.scalar(select(Form).where(Form.key == key))
    if existing is not None:
        if not replace:
            raise Conflict(
                f"A form with key '{key}' already exists; import with replace=true "
                "to overwrite its draft."
            )
        return save_draft(session=session, key=existing.key, definition=definition)
    return create_form(
        session=session,
        key=key,
        title=document.get("title"),
        actor=actor,
        definition=definition,
    )
