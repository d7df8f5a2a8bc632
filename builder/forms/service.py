"""Form design services: create, drafts, validation, publishing, versions, import/export.

A draft is stored as sent (it may be incomplete); only ``publish_form`` insists on a valid
definition, and then freezes it, with its compiled schema and content hash, as the next
numbered version. Re-publishing an unchanged draft returns the latest version. The
lifecycle itself is shared with flows (``builder.definitions``); this module names it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.definitions import Lifecycle
from builder.forms.definition import compile_schema, validate_definition
from builder.forms.models import Form, FormVersion
from core.errors import NotFound, Problem
from core.people import User

EXPORT_KIND = "docket.form"


def empty_definition(key: str, title: dict[str, str]) -> dict[str, Any]:
    """The draft a new form starts with."""
    return {"formatVersion": 1, "key": key, "title": title, "fields": [], "layout": []}


FORMS: Lifecycle[Form, FormVersion] = Lifecycle(
    noun="form",
    model=Form,
    version_model=FormVersion,
    owner_column="form_id",
    export_kind=EXPORT_KIND,
    empty=empty_definition,
    validate=lambda _session, definition: validate_definition(definition),
    version_columns=lambda _session, definition: {"schema": compile_schema(definition)},
)


def list_forms(*, session: Session, include_archived: bool = False) -> list[Form]:
    """All forms by key, without archived ones unless asked."""
    return FORMS.list_all(session=session, include_archived=include_archived)


#: Forms open for submission: published at least once and not archived.
_OPEN = (Form.archived.is_(False), Form.versions.any())


def list_open_forms(*, session: Session) -> list[Form]:
    """The forms open for submission, by key."""
    return list(session.scalars(select(Form).where(*_OPEN).order_by(Form.key)))


def get_open_form(*, session: Session, key: str) -> Form:
    """The form with ``key`` if it is open for submission, or NotFound (as if unknown)."""
    found = session.scalar(select(Form).where(Form.key == key, *_OPEN))
    if found is None:
        raise NotFound(f"There is no form with key '{key}'.")
    return found


def get_form(*, session: Session, key: str, for_update: bool = False) -> Form:
    """The form with ``key``, or NotFound."""
    return FORMS.get(session=session, key=key, for_update=for_update)


def create_form(
    *,
    session: Session,
    key: str,
    title: Any,
    actor: User | None,
    definition: dict[str, Any] | None = None,
) -> Form:
    """Create a form with an empty (or the given) draft."""
    return FORMS.create(session=session, key=key, title=title, actor=actor, definition=definition)


def duplicate_form(
    *, session: Session, key: str, new_key: str, title: Any, actor: User | None
) -> Form:
    """A new form whose draft copies ``key``'s draft under its own key and title
    (unpublished: requesters see it once it is published)."""
    source = get_form(session=session, key=key)
    form = create_form(session=session, key=new_key, title=title, actor=actor,
                       definition=source.draft if isinstance(source.draft, dict) else None)
    form.draft = {**form.draft, "title": form.title}
    session.flush()
    return form


def update_form(
    *, session: Session, key: str, title: Any = None, revision: int | None = None
) -> Form:
    """Change a form's title (and the draft's), checking the caller's revision if given."""
    return FORMS.update(session=session, key=key, title=title, revision=revision)


def archive_form(*, session: Session, key: str) -> Form:
    """Hide a form from requesters; its versions and tickets stay."""
    return FORMS.archive(session=session, key=key)


def save_draft(
    *, session: Session, key: str, definition: dict[str, Any], revision: int | None = None
) -> Form:
    """Store a draft as sent (incomplete is fine); the form's key always wins."""
    return FORMS.save_draft(session=session, key=key, definition=definition, revision=revision)


def validate_draft(*, session: Session, key: str) -> list[Problem]:
    """Every problem that would stop the draft from being published."""
    return FORMS.validate_draft(session=session, key=key)


def latest_version(*, session: Session, form: Form) -> FormVersion | None:
    """The newest published version of ``form``, or None."""
    return FORMS.latest_version(session=session, owner=form)


def publish_form(*, session: Session, key: str, actor: User | None) -> tuple[FormVersion, bool]:
    """Freeze the draft as the next version; returns (version, created)."""
    return FORMS.publish(session=session, key=key, actor=actor)


def list_versions(*, session: Session, key: str) -> list[FormVersion]:
    """Every published version of a form, oldest first."""
    return FORMS.list_versions(session=session, key=key)


def get_version(*, session: Session, key: str, number: int) -> FormVersion:
    """One published version, or NotFound."""
    return FORMS.get_version(session=session, key=key, number=number)


def export_form(*, session: Session, key: str) -> dict[str, Any]:
    """The form as one portable JSON document (its draft definition)."""
    return FORMS.export(session=session, key=key)


def import_form(
    *, session: Session, document: Any, actor: User | None, replace: bool = False
) -> Form:
    """Create a form from an exported document, or replace an existing form's draft."""
    return FORMS.import_(session=session, document=document, actor=actor, replace=replace)
