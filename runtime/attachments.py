"""Uploaded files: checked, stored outside the web root, and shown only to those allowed.

The content decides the type, not the name or the browser's claim: the first bytes are
sniffed (``filetype``) and only an allow-list of document and image types is kept. Files
live under ``UPLOAD_ROOT/<2 chars>/<uuid>`` with no extension, and are always served as
downloads with the checked type.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session, object_session

from core.errors import InvalidSubmission, NotFound, Problem, TooLarge
from core.people import User
from runtime.tickets.models import Attachment, Ticket, TicketEvent
from runtime.tickets.service import STAFF, visible_tickets

#: Sniffed MIME types we accept; SVG and HTML are refused (they can carry scripts).
ALLOWED_TYPES = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic",
    "application/pdf", "application/zip", "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where an attachment's bytes are, and how to serve them."""

    attachment: Attachment
    path: Path


def _path(root: Path, attachment_id: str) -> Path:
    return root / attachment_id[:2] / attachment_id


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at the end of the sniffed head is still text
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
        return None
    return "text/plain"


def _clean_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name[:200] or "file"


def store_upload(
    *, session: Session, root: Path, uploader: User, filename: str, stream: BinaryIO,
    max_size: int,
) -> Attachment:
    """Check and store one uploaded file for ``uploader``; not yet bound to a ticket."""
    attachment_id = str(uuid.uuid4())
    path = _path(root, attachment_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    tmp = path.with_suffix(".part")
    try:
        with tmp.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_size:
                    raise TooLarge(f"The file is larger than {max_size // (1024 * 1024)} MB.")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        mime = _sniff(head) if size else None
        if mime not in ALLOWED_TYPES:
            raise InvalidSubmission([Problem("/file", "file.type",
                                             "Files of this type are not accepted.")])
        tmp.rename(path)
    finally:
        tmp.unlink(missing_ok=True)
    attachment = Attachment(
        id=attachment_id, uploader_id=uploader.id, name=_clean_name(filename), size=size,
        content_type=mime, sha256=digest.hexdigest(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def can_see_attachment(user: User, attachment: Attachment) -> bool:
    """The uploader may see a file; so may whoever may see the ticket it is bound to; a file
    on an internal note (never bound) only staff who may see that note's ticket."""
    if attachment.uploader_id == user.id:
        return True
    session = object_session(attachment)
    if session is None:
        return False
    if attachment.ticket_id is not None:
        return session.scalar(visible_tickets(user).with_only_columns(Ticket.id).where(
            Ticket.id == attachment.ticket_id)) is not None
    if user.role not in STAFF:
        return False
    # the note's event names the file: the id is a UUID, so a text match cannot mistake it
    notes = select(TicketEvent.ticket_id).where(
        TicketEvent.kind == "comment", cast(TicketEvent.payload, Text).contains(attachment.id))
    return session.scalar(visible_tickets(user).with_only_columns(Ticket.id).where(
        Ticket.id.in_(notes)).limit(1)) is not None


def open_attachment(
    *, session: Session, root: Path, attachment_id: str, user: User
) -> StoredFile:
    """The file behind an attachment id, if ``user`` may see it (else NotFound)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not can_see_attachment(user, attachment):
        raise NotFound("There is no such file, or you may not see it.")
    path = _path(root, attachment.id)
    if not path.exists():
        raise NotFound("The file is missing from storage.")
    return StoredFile(attachment, path)
