"""Attachments: files checked by their content, kept in the attachment store by a random key.

A file's row may be deleted, but its stored bytes are kept: a frozen revision may refer to
them by storage key. Where the bytes live (database, S3, a folder) is for review.infra.storage.
"""

import hashlib
import io
import os
import secrets
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

import sqlalchemy as sa
from flask import Response, abort, current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from models import Attachment, CaseStudy
from models.base import db
from models.clock import utcnow
from review import images
from review.errors import OperationError
from review.infra import storage

MAX_PER_STUDY = 10
PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The names each kind of content may carry, so a PDF called .png is refused.
EXTENSIONS = {PDF: {".pdf"}, PNG: {".png"}, JPEG: {".jpg", ".jpeg"}, DOCX: {".docx"}}
NAMES = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", DOCX: "DOCX"}
_CHUNK = 64 * 1024


class AttachmentError(OperationError):
    """The file was refused; the message says why in words the person can act on."""


def sniff(path: Path) -> str | None:
    """Return the content type of the file by its first bytes (and, for DOCX, its parts)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
    return None


def clean_filename(name: str | None) -> str:
    """Return the file's own name without any folder part, trimmed to fit."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "file"
    stem, ext = os.path.splitext(name)
    return stem[: 255 - len(ext)] + ext if len(ext) < 20 else name[:255]


def count_for(study: CaseStudy) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Attachment.id)).where(Attachment.study_id == study.id)
    )


def add_attachment(study: CaseStudy, upload: FileStorage, actor) -> Attachment:
    """Check the upload by content and size, store it, and add its row; flush only.

    Raise AttachmentError (nothing stored) when the file is refused.
    """
    if count_for(study) >= MAX_PER_STUDY:
        raise AttachmentError(
            _(
                "A study can have at most %(max_per_study)s files. Remove one to add another.",
                max_per_study=MAX_PER_STUDY,
            )
        )
    key = secrets.token_hex(20)
    with _checked(upload) as (partial, filename, content_type, size, digest):
        partial.seek(0)
        cleaned = images.without_metadata(partial.read(), content_type)
        if cleaned is not None:
            # The camera's EXIF (the place a photograph was taken, among others) never leaves.
            digest, size = hashlib.sha256(cleaned), len(cleaned)
            storage.current().save(key, io.BytesIO(cleaned))
        else:
            partial.seek(0)
            storage.current().save(key, partial)
    attachment = Attachment(
        study_id=study.id,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        storage_key=key,
        uploaded_by_id=actor.id,
        created_at=utcnow(),
    )
    # Added beside the study, not through it, so the study's version (for text edits) stays.
    db.session.add(attachment)
    db.session.flush()
    db.session.expire(study, ["attachments"])
    return attachment


def check_upload(upload: FileStorage) -> str:
    """Return the content type of a file an upload would accept, storing nothing (the
    import's dry run); raise AttachmentError as add_attachment would."""
    with _checked(upload) as (_partial, _filename, content_type, _size, _digest):
        return content_type


@contextmanager
def _checked(upload: FileStorage):
    """Copy the upload to a temporary file, checking its size, content and name; yield
    (file, filename, content type, size, sha256). Raise AttachmentError."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    filename = clean_filename(upload.filename)
    digest, size = hashlib.sha256(), 0
    # Checked in a temporary file first, so the store only ever receives accepted files.
    with tempfile.NamedTemporaryFile(prefix="upload-") as partial:
        while chunk := upload.stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise AttachmentError(
                    _(
                        "“%(filename)s” is larger than %(limit)s MB. Please upload a smaller file.",
                        filename=filename,
                        limit=limit // (1024 * 1024),
                    )
                )
            digest.update(chunk)
            partial.write(chunk)
        partial.flush()
        if size == 0:
            raise AttachmentError(_("“%(filename)s” is empty.", filename=filename))
        content_type = sniff(Path(partial.name))
        if content_type is None:
            raise AttachmentError(
                _(
                    "“%(filename)s” is not a PDF, DOCX, PNG or JPEG file. Only those can be "
                    "attached.",
                    filename=filename,
                )
            )
        ext = os.path.splitext(filename)[1].lower()
        if ext not in EXTENSIONS[content_type]:
            raise AttachmentError(
                _(
                    "“%(filename)s” is named like a %(type)s but it is a %(content_type)s file. "
                    "Rename it to end in %(content_type2)s and upload it again.",
                    filename=filename,
                    type=ext.lstrip(".").upper() or "file without type",
                    content_type=NAMES[content_type],
                    content_type2=sorted(EXTENSIONS[content_type])[0],
                )
            )
        yield partial, filename, content_type, size, digest


def remove_attachment(study: CaseStudy, attachment: Attachment) -> None:
    """Remove the file from the study (its bytes stay for the revisions); flush only. The
    study's lead image goes with it, if it was that file."""
    if study.lead_image is not None and study.lead_image.attachment_id == attachment.id:
        images.remove(study)
    db.session.delete(attachment)
    db.session.flush()
    db.session.expire(study, ["attachments"])


def download(attachment: Attachment, max_age: int | None = None) -> Response:
    """Return the file as a download, streamed from the store in chunks; 404 if it is gone."""
    body = storage.current().open(attachment.storage_key)
    if body is None:
        abort(404)
    response = Response(body, mimetype=attachment.content_type, direct_passthrough=True)
    response.content_length = attachment.size
    response.headers.set("Content-Disposition", "attachment", filename=attachment.filename)
    if max_age is not None:
        response.cache_control.max_age = max_age
        response.cache_control.private = True
    return response


def human_size(size: int) -> str:
    """Format a size in bytes as a person reads it."""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"
