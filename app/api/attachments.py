"""Attachments: upload first, then reference the returned {id, name, size, type} in data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, request, send_file
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.schemas import AttachmentSchema
from app.auth import require_roles
from app.db import db
from core.errors import InvalidSubmission, Problem
from runtime.attachments import open_attachment, store_upload

blp = Blueprint("attachments", __name__, url_prefix="/api/v1/attachments",
                description="Files for file fields.")


def upload_root() -> Path:
    """Where uploads are stored (outside the web root)."""
    return Path(current_app.config["UPLOAD_ROOT"])


@blp.post("")
@blp.response(201, AttachmentSchema)
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}})
@require_roles()
def upload() -> Any:
    """Upload one file as multipart field 'file'."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidSubmission([Problem("/file", "required", "Send the file as the 'file' part.")])
    attachment = store_upload(
        session=db(), root=upload_root(), uploader=current_user, filename=upload.filename,
        stream=upload.stream, max_size=current_app.config["MAX_FILE_SIZE"],
    )
    db().commit()
    return attachment


@blp.get("/<attachment_id>")
@blp.response(200, description="The file, as a download")
@require_roles()
def download(attachment_id: str) -> Any:
    """Download a file you may see."""
    stored = open_attachment(session=db(), root=upload_root(), attachment_id=attachment_id,
                             user=current_user)
    inline = stored.attachment.content_type.startswith("image/")
    return send_file(stored.path, mimetype=stored.attachment.content_type,
                     as_attachment=not inline, download_name=stored.attachment.name)
