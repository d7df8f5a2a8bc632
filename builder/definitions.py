"""The lifecycle every designed definition shares: drafts, publishing, versions, import/export.

Forms and flows work alike. An owner row (``Form``, ``Flow``) has a key, a title, a mutable
draft (stored as sent, it may be incomplete), an archived flag and an optimistic-lock
revision. Publishing validates the draft and freezes it as the next numbered, hashed,
immutable version row (``FormVersion``, ``FlowVersion``); publishing an unchanged draft
returns the latest version. A ``Lifecycle`` holds what differs between the two: the model
pair, the noun used in messages, the empty draft, the validation and the extra columns a
version gets (a compiled schema, a bound form key). The services of ``builder.forms`` and
``builder.flows`` are thin wrappers around one ``Lifecycle`` each.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from builder.fields.values import json_hash
from core.errors import Conflict, InvalidDefinition, NotFound, Problem
from core.people import User

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class Definable(Protocol):
    """An owner row: what the lifecycle reads and writes on ``Form`` and ``Flow``."""

    id: Any
    key: Any
    title: Any
    draft: Any
    archived: Any
    revision: Any
    created_by_id: Any


class Published(Protocol):
    """A version row: what the lifecycle reads and writes on ``FormVersion``/``FlowVersion``."""

    number: Any
    hash: Any
    definition: Any
    published_by_id: Any


D = TypeVar("D", bound=Definable)
V = TypeVar("V", bound=Published)


def check_key(key: Any) -> str:
    """``key`` when it is a valid definition key, else InvalidDefinition at /key."""
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


def check_title(title: Any, noun: str = "form") -> dict[str, str]:
    """``title`` as {locale: text} (a plain string becomes English), else InvalidDefinition."""
    if isinstance(title, str) and title.strip():
        return {"en": title.strip()}
    if (
        isinstance(title, dict)
        and title
        and all(isinstance(k, str) and isinstance(v, str) for k, v in title.items())
        and any(v.strip() for v in title.values())
    ):
        return dict(title)
    raise InvalidDefinition([Problem("/title", "required", f"Give the {noun} a title.")])


@dataclass(frozen=True)
class Lifecycle(Generic[D, V]):
    """Draft/publish/version/import/export services for one owner/version model pair."""

    noun: str
    model: type[D]
    version_model: type[V]
    #: Name of the version model's foreign key to the owner (``form_id``, ``flow_id``).
    owner_column: str
    export_kind: str
    empty: Callable[[str, dict[str, str]], dict[str, Any]]
    #: Every problem with a draft; the session lets it look up what the draft refers to.
    validate: Callable[[Session, dict[str, Any]], list[Problem]]
    #: Extra columns of a new version from its (valid) definition.
    version_columns: Callable[[Session, dict[str, Any]], dict[str, Any]]

    def _col(self, model: type[Any], name: str) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = getattr(model, name)
        return column

    def _owner_of(self) -> InstrumentedAttribute[Any]:
        return self._col(self.version_model, self.owner_column)

    def list_all(self, *, session: Session, include_archived: bool = False) -> list[D]:
        """All owners by key, without archived ones unless asked."""
        query = select(self.model).order_by(self._col(self.model, "key"))
        if not include_archived:
            query = query.where(self._col(self.model, "archived").is_(False))
        return list(session.scalars(query))

    def get(self, *, session: Session, key: str, for_update: bool = False) -> D:
        """The owner with ``key``, or NotFound."""
        query = select(self.model).where(self._col(self.model, "key") == key)
        if for_update:
            query = query.with_for_update()
        found = session.scalar(query)
        if found is None:
            raise NotFound(f"There is no {self.noun} with key '{key}'.")
        return found

    def create(
        self,
        *,
        session: Session,
        key: str,
        title: Any,
        actor: User | None,
        definition: dict[str, Any] | None = None,
    ) -> D:
        """Create an owner with an empty (or the given) draft."""
        check_key(key)
        title = check_title(title, self.noun)
        key_column = self._col(self.model, "key")
        if session.scalar(select(self._col(self.model, "id")).where(key_column == key)):
            raise Conflict(f"A {self.noun} with key '{key}' already exists.")
        draft = copy.deepcopy(definition) if definition else self.empty(key, title)
        draft["key"] = key
        owner = cast(Any, self.model)(
            key=key, title=title, draft=draft, created_by_id=actor.id if actor else None
        )
        session.add(owner)
        session.flush()
        return owner

    def check_revision(self, owner: D, revision: int | None) -> None:
        """Conflict when the caller's ``revision`` is not the owner's current one."""
        if revision is not None and revision != owner.revision:
            raise Conflict(
                f"The {self.noun} was changed since you loaded it (revision {owner.revision}, "
                f"yours {revision}). Reload it and apply your change again."
            )

    def update(
        self, *, session: Session, key: str, title: Any = None, revision: int | None = None
    ) -> D:
        """Change the title (and the draft's), checking the caller's revision if given."""
        owner = self.get(session=session, key=key)
        self.check_revision(owner, revision)
        if title is not None:
            owner.title = check_title(title, self.noun)
            owner.draft = {**owner.draft, "title": owner.title}
        session.flush()
        return owner

    def archive(self, *, session: Session, key: str) -> D:
        """Set the archived flag; versions stay."""
        owner = self.get(session=session, key=key)
        owner.archived = True
        session.flush()
        return owner

    def save_draft(
        self,
        *,
        session: Session,
        key: str,
        definition: dict[str, Any],
        revision: int | None = None,
    ) -> D:
        """Store a draft as sent (incomplete is fine); the owner's key always wins."""
        owner = self.get(session=session, key=key)
        self.check_revision(owner, revision)
        draft = copy.deepcopy(definition)
        draft["key"] = owner.key
        owner.draft = draft
        # an unfinished title stays in the draft only; publishing will report it
        with contextlib.suppress(InvalidDefinition):
            owner.title = check_title(draft.get("title"), self.noun)
        session.flush()
        return owner

    def validate_draft(self, *, session: Session, key: str) -> list[Problem]:
        """Every problem that would stop the draft from being published."""
        return self.validate(session, self.get(session=session, key=key).draft)

    def latest_version(self, *, session: Session, owner: D) -> V | None:
        """The newest published version of ``owner``, or None."""
        number = self._col(self.version_model, "number")
        return session.scalar(
            select(self.version_model)
            .where(self._owner_of() == owner.id)
            .order_by(number.desc())
            .limit(1)
        )

    def publish(self, *, session: Session, key: str, actor: User | None) -> tuple[V, bool]:
        """Freeze the draft as the next version; returns (version, created)."""
        owner = self.get(session=session, key=key, for_update=True)
        problems = self.validate(session, owner.draft)
        if problems:
            raise InvalidDefinition(problems, "The draft has problems; fix them and publish again.")
        digest = json_hash(owner.draft)
        latest = self.latest_version(session=session, owner=owner)
        if latest is not None and latest.hash == digest:
            return latest, False
        number_column = self._col(self.version_model, "number")
        highest = session.scalar(
            select(func.max(number_column)).where(self._owner_of() == owner.id)
        )
        version = cast(Any, self.version_model)(
            **{self.owner_column: owner.id},
            number=(highest or 0) + 1,
            definition=copy.deepcopy(owner.draft),
            hash=digest,
            published_by_id=actor.id if actor else None,
            **self.version_columns(session, owner.draft),
        )
        session.add(version)
        session.flush()
        return version, True

    def list_versions(self, *, session: Session, key: str) -> list[V]:
        """Every published version, oldest first."""
        owner = self.get(session=session, key=key)
        number = self._col(self.version_model, "number")
        query = select(self.version_model).where(self._owner_of() == owner.id).order_by(number)
        return list(session.scalars(query))

    def get_version(self, *, session: Session, key: str, number: int) -> V:
        """One published version, or NotFound."""
        owner = self.get(session=session, key=key)
        version = session.scalar(
            select(self.version_model).where(
                self._owner_of() == owner.id,
                self._col(self.version_model, "number") == number,
            )
        )
        if version is None:
            raise NotFound(f"{self.noun.capitalize()} '{key}' has no version {number}.")
        return version

    def export(self, *, session: Session, key: str) -> dict[str, Any]:
        """The owner as one portable JSON document (its draft definition)."""
        owner = self.get(session=session, key=key)
        return {
            "kind": self.export_kind,
            "key": owner.key,
            "title": owner.title,
            "definition": copy.deepcopy(owner.draft),
        }

    def import_(
        self, *, session: Session, document: Any, actor: User | None, replace: bool = False
    ) -> D:
        """Create an owner from an exported document, or replace an existing one's draft."""
        if not isinstance(document, dict) or document.get("kind") != self.export_kind:
            raise InvalidDefinition(
                [
                    Problem(
                        "/kind",
                        "const",
                        f"Not a Docket {self.noun} export "
                        f"(kind must be '{self.export_kind}').",
                    )
                ]
            )
        definition = document.get("definition")
        if not isinstance(definition, dict):
            raise InvalidDefinition(
                [Problem("/definition", "type", "The definition must be an object.")]
            )
        key = check_key(document.get("key"))
        existing = session.scalar(select(self.model).where(self._col(self.model, "key") == key))
        if existing is not None:
            if not replace:
                raise Conflict(
                    f"A {self.noun} with key '{key}' already exists; import with replace=true "
                    "to overwrite its draft."
                )
            return self.save_draft(session=session, key=existing.key, definition=definition)
        return self.create(
            session=session, key=key, title=document.get("title"), actor=actor,
            definition=definition,
        )
