"""The files an import attaches (review.staff.imports): a row's `attachments` (paths relative to
the JSON or CSV file inside the .zip) and its `lead_image` (one of them, described), checked as
an upload is — size, content, name — and path by path: nothing absolute, nothing that climbs
out with "..". The dry run checks; the real run stores them through review.attachments, and
the lead image's resized copies through review.images.
"""

import posixpath
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from models import CaseStudy, User
from review import attachments, images

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class FilePlan:
    """What a row attaches: paths in the .zip, in order, and its lead image's description."""

    paths: list[str] = field(default_factory=list)
    lead: dict | None = None


def safe_path(value) -> tuple[str | None, str | None]:
    """Return (the path normalised, None) or (None, why it cannot be used)."""
    if not isinstance(value, str) or not value.strip():
        return None, _("must be the path of a file in the .zip")
    path = value.strip()
    if "\\" in path:
        return None, _("“%(path)s”: separate folders with “/”", path=path[:100])
    if path.startswith("/") or _DRIVE.match(path):
        return None, _(
            "“%(path)s” is an absolute path; give it relative to the import file", path=path[:100]
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, _("“%(path)s” may not climb out of its folder (“..”)", path=path[:100])
    if not parts:
        return None, _("must be the path of a file in the .zip")
    return posixpath.join(*parts), None


def check_files(raw: dict, bundle, problems: list) -> FilePlan | None:
    """Check a row's attachments and lead image against the .zip; note (field, reason) in
    `problems`; return what to attach (None when nothing)."""
    listed = raw.get("attachments") or []
    lead = raw.get("lead_image")
    if not listed and not lead:
        return None
    plan = FilePlan()
    listed = [listed] if isinstance(listed, str) else listed
    if not isinstance(listed, list):
        problems.append(("attachments", _("must be a list of paths of files in the .zip")))
        listed = []
    entries = [(f"attachments[{i}]", value) for i, value in enumerate(listed, start=1)]
    if lead:
        if isinstance(lead, str):
            lead = {"path": lead}
        if not isinstance(lead, dict):
            problems.append(("lead_image", _("must be {path, alt_text, caption, credit}")))
            lead = None
        else:
            entries.append(("lead_image.path", lead.get("path")))
    types: dict[str, str] = {}
    for name, value in entries:
        path, problem = safe_path(value)
        if problem is None and bundle is None:
            problem = _(
                "a file travels only in a .zip: upload a .zip holding “%(path)s”", path=path
            )
        if problem is None and path not in types:
            problem, types[path] = _check_member(bundle, path)
        if problem:
            problems.append((name, problem))
        elif path not in plan.paths:
            plan.paths.append(path)
    if len(plan.paths) > attachments.MAX_PER_STUDY:
        problems.append(
            (
                "attachments",
                _("a study has at most %(n)s files", n=attachments.MAX_PER_STUDY),
            )
        )
    if lead is not None:
        plan.lead = _check_lead(lead, types, bundle, problems)
    return plan


def _check_member(bundle, path: str) -> tuple[str | None, str]:
    info = bundle.find(path)
    if info is None:
        return _("“%(path)s” is not in the .zip", path=path), ""
    try:
        with bundle.open(info) as stream:
            return None, attachments.check_upload(FileStorage(stream, filename=path))
    except attachments.AttachmentError as exc:
        return exc.message, ""


def _check_lead(lead: dict, types: dict, bundle, problems: list) -> dict | None:
    path, _problem = safe_path(lead.get("path"))
    described = {
        key: images.clean_text(str(lead.get(key) or ""))
        for key in ("alt_text", "caption", "credit")
    }
    if not described["alt_text"]:
        problems.append(("lead_image.alt_text", str(images.ALT_REQUIRED)))
    for key, limit in (
        ("alt_text", images.ALT_MAX),
        ("caption", images.CAPTION_MAX),
        ("credit", images.CREDIT_MAX),
    ):
        if len(described[key]) > limit:
            problems.append(
                (f"lead_image.{key}", _("must be at most %(limit)s characters", limit=limit))
            )
    if path is None or not types.get(path):
        return None
    if types[path] not in images.IMAGE_TYPES:
        problems.append(
            ("lead_image.path", _("“%(path)s” is not a PNG or JPEG picture", path=path))
        )
        return None
    with bundle.open(bundle.find(path)) as stream:
        try:
            images.open_image(stream.read(), path)
        except images.ImageError as exc:
            problems.append(("lead_image.path", exc.message))
            return None
    return {"path": path, **described}


def attach(study: CaseStudy, plan: FilePlan, bundle, actor: User) -> None:
    """Store the row's checked files as the study's attachments and choose its lead image
    (its resized copies made); flush only."""
    added = {}
    for path in plan.paths:
        with bundle.open(bundle.find(path)) as stream:
            upload = FileStorage(stream, filename=posixpath.basename(path))
            added[path] = attachments.add_attachment(study, upload, actor)
    if plan.lead is not None:
        lead = plan.lead
        images.choose(study, added[lead["path"]], lead["alt_text"], lead["caption"], lead["credit"])
