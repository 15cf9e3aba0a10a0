"""A study's lead image: one of its PNG or JPEG attachments, chosen as the picture it opens with,
described (alt text required, caption and credit optional), and resized with Pillow into the
copies the pages show (a card's and the study page's), without any of the file's metadata.

Uploaded images lose their metadata (EXIF: the camera, the place it was taken) at upload, in
review.attachments; the renditions are drawn from the pixels alone, so they never carry any.
"""

import io
import secrets

import sqlalchemy as sa
from flask import Response, abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from models import Attachment, CaseStudy, ImageRendition, LeadImage
from models.base import db
from models.clock import utcnow
from review.errors import OperationError
from review.infra import storage

PNG, JPEG = "image/png", "image/jpeg"
IMAGE_TYPES = (PNG, JPEG)
# The widths made at upload: a library card's, and the study page's.
CARD, PAGE = 480, 1200
WIDTHS = (CARD, PAGE)
# A picture this large (in pixels) is refused rather than decoded: 50 megapixels.
MAX_PIXELS = 50_000_000
ALT_MAX, CAPTION_MAX, CREDIT_MAX = 300, 500, 200
ALT_REQUIRED = _l("Describe the picture for people who cannot see it.")


class ImageError(OperationError):
    """The image cannot be used; the message says why and names the field."""


def _read(attachment: Attachment) -> bytes:
    data = storage.read_all(attachment.storage_key)
    if data is None:
        raise ImageError(_("“%(name)s” is no longer stored.", name=attachment.filename), "file")
    return data


def open_image(data: bytes, filename: str) -> Image.Image:
    """Return the decoded picture, upright (its EXIF orientation applied); raise ImageError."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageError(
                    _(
                        "“%(name)s” is %(width)s×%(height)s pixels; a lead image has "
                        "at most %(millions)s million.",
                        name=filename,
                        width=probe.width,
                        height=probe.height,
                        millions=MAX_PIXELS // 1_000_000,
                    ),
                    "file",
                )
            probe.verify()
        picture = Image.open(io.BytesIO(data))
        picture.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageError(
            _("“%(name)s” cannot be read as a picture.", name=filename), "file"
        ) from None
    return ImageOps.exif_transpose(picture)


def encode(picture: Image.Image, content_type: str) -> bytes:
    """Return the picture's pixels as a PNG or JPEG with no metadata at all."""
    out = io.BytesIO()
    if content_type == JPEG:
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        picture.save(out, "JPEG", quality=88, optimize=True, progressive=True)
    else:
        picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def without_metadata(data: bytes, content_type: str) -> bytes | None:
    """Return the image re-encoded without its metadata, or None when it carries none (or is
    not a picture Pillow reads: then it stays a file like any other)."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            has = bool(picture.getexif()) or any(
                key in picture.info for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment")
            )
            if not has or picture.width * picture.height > MAX_PIXELS:
                return None
            picture.load()
            upright = ImageOps.exif_transpose(picture)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return encode(upright, content_type)


def make_renditions(attachment: Attachment) -> list[ImageRendition]:
    """Store the resized copies of an image attachment (once); flush only."""
    existing = list(
        db.session.scalars(
            sa.select(ImageRendition).where(ImageRendition.attachment_id == attachment.id)
        )
    )
    if existing:
        return existing
    if attachment.content_type not in IMAGE_TYPES:
        raise ImageError(
            _("“%(name)s” is not a PNG or JPEG picture.", name=attachment.filename), "file"
        )
    picture = open_image(_read(attachment), attachment.filename)
    made = []
    for width in WIDTHS:
        copy = picture.copy()
        copy.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        data = encode(copy, attachment.content_type)
        key = secrets.token_hex(20)
        storage.current().save(key, io.BytesIO(data))
        made.append(
            ImageRendition(
                attachment_id=attachment.id,
                max_width=width,
                width=copy.width,
                height=copy.height,
                content_type=attachment.content_type,
                size=len(data),
                storage_key=key,
            )
        )
    db.session.add_all(made)
    db.session.flush()
    return made


def clean_text(value: str | None) -> str:
    return " ".join((value or "").split())


def choose(
    study: CaseStudy, attachment: Attachment, alt_text: str, caption: str = "", credit: str = ""
) -> LeadImage:
    """Make `attachment` the study's lead image, described; resize it if not yet; flush only.

    Raise ImageError naming the field: alt text missing or too long, a caption or credit too
    long, a file that is not a picture of this study.
    """
    alt_text, caption, credit = clean_text(alt_text), clean_text(caption), clean_text(credit)
    if attachment.study_id != study.id:
        raise ImageError(_("That file is not attached to this study."), "attachment_id")
    if not alt_text:
        raise ImageError(str(ALT_REQUIRED), "alt_text")
    for name, value, limit in (
        ("alt_text", alt_text, ALT_MAX),
        ("caption", caption, CAPTION_MAX),
        ("credit", credit, CREDIT_MAX),
    ):
        if len(value) > limit:
            raise ImageError(
                _(
                    "At most %(limit)s characters, please (it has %(length)s).",
                    limit=limit,
                    length=len(value),
                ),
                name,
            )
    make_renditions(attachment)
    lead = study.lead_image
    if lead is None:
        lead = LeadImage(study_id=study.id, created_at=utcnow())
        db.session.add(lead)
    lead.attachment_id = attachment.id
    lead.alt_text, lead.caption, lead.credit = alt_text, caption, credit
    db.session.flush()
    db.session.expire(study, ["lead_image"])
    db.session.expire(lead, ["renditions", "attachment"])
    return lead


def remove(study: CaseStudy) -> None:
    """The study opens without a picture again (the file stays attached); flush only."""
    if study.lead_image is not None:
        db.session.delete(study.lead_image)
        db.session.flush()
        db.session.expire(study, ["lead_image"])


def rendition_of(study: CaseStudy, attachment_id: int, max_width: int) -> ImageRendition | None:
    """Return the rendition of the study's lead image at this width, if that is its image."""
    lead = study.lead_image
    if lead is None or lead.attachment_id != attachment_id or max_width not in WIDTHS:
        return None
    return next((r for r in lead.renditions if r.max_width == max_width), None)


def serve(rendition: ImageRendition | None, public: bool) -> Response:
    """Return a rendition shown inline (its own Content-Type); 404 when there is none."""
    body = storage.current().open(rendition.storage_key) if rendition is not None else None
    if body is None:
        abort(404)
    response = Response(body, mimetype=rendition.content_type, direct_passthrough=True)
    response.content_length = rendition.size
    response.headers["Content-Disposition"] = "inline"
    # A rendition's bytes never change: a new picture is a new attachment, so a new address.
    response.cache_control.max_age = 86400 if public else 0
    response.cache_control.public = public
    response.cache_control.private = not public
    return response
