"""Reading an import file (review.staff.imports): the rows of a JSON or CSV file in the shape of
the staff export, each turned into the JSON shape of one study; or a .zip holding that file and
the files its rows attach, by path relative to it."""

import csv
import io
import json
import posixpath
import re
import zipfile

from flask_babel import gettext as _

MAX_ROWS = 5000
# The JSON or CSV file inside a .zip, once unpacked.
MAX_DATA_BYTES = 64 * 1024 * 1024
LISTS = ("timeline", "stakeholders", "links", "authors", "topics", "secondary_pillars")
_LINK = re.compile(r"^(.*?)\s*<([^<>]+)>$")
_STAKEHOLDER = re.compile(r"^(.*?)\s*\(([a-z_]+),\s*([a-z_]+)\):\s*(.*)$")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why."""


class Bundle:
    """The files a .zip import carries beside its JSON or CSV file, by path relative to it."""

    def __init__(self, archive: zipfile.ZipFile, base: str):
        self.archive, self.base = archive, base
        self.members = {i.filename: i for i in archive.infolist() if not i.is_dir()}

    def find(self, path: str) -> zipfile.ZipInfo | None:
        return self.members.get(posixpath.join(self.base, path) if self.base else path)

    def open(self, info: zipfile.ZipInfo):
        return self.archive.open(info)


def read_upload(filename: str, data: bytes) -> tuple[list[dict], Bundle | None]:
    """Return the rows of an import file and, for a .zip, the files that travel with them.

    The .zip holds one JSON or CSV file (the one least deep in its folders: zipping a folder
    is fine), and the files its rows name by path relative to that file."""
    if not (filename or "").lower().endswith(".zip") and data[:4] != b"PK\x03\x04":
        return read_rows(filename, data), None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [
            i.filename
            for i in archive.infolist()
            if not i.is_dir()
            and i.filename.lower().endswith((".json", ".csv"))
            and not i.filename.startswith("__MACOSX/")
        ]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(_("The .zip file cannot be read.")) from None
    depth = min((n.count("/") for n in names), default=0)
    top = [n for n in names if n.count("/") == depth]
    if len(top) != 1:
        raise ImportFileError(
            _("The .zip must hold one JSON or CSV file of studies (it holds %(n)s).", n=len(top))
        )
    try:
        # Read no more than the limit, whatever the archive claims (a "zip bomb" stops here).
        with archive.open(top[0]) as member:
            data = member.read(MAX_DATA_BYTES + 1)
        if len(data) > MAX_DATA_BYTES:
            raise ImportFileError(
                _(
                    "%(name)s is larger than %(limit)s MB.",
                    name=top[0],
                    limit=MAX_DATA_BYTES // (1024 * 1024),
                )
            )
        rows = read_rows(top[0], data)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        if isinstance(exc, ImportFileError):
            raise
        raise ImportFileError(_("The .zip file cannot be read.")) from None
    return rows, Bundle(archive, posixpath.dirname(top[0]))


def read_rows(filename: str, data: bytes) -> list[dict]:
    """Return the rows of a JSON or CSV file (by its extension, else its first character)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is not UTF-8 text (byte %(start)s).", start=exc.start)
        ) from None
    name = (filename or "").lower()
    is_json = name.endswith(".json") or (
        not name.endswith(".csv") and text.lstrip()[:1] in ("[", "{")
    )
    rows = _json_rows(text) if is_json else _csv_rows(text)
    if not rows:
        raise ImportFileError(_("The file holds no studies."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            _(
                "The file holds %(rows)s studies; import at most %(max_rows)s.",
                rows=len(rows),
                max_rows=MAX_ROWS,
            )
        )
    return rows


def _json_rows(text: str) -> list:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            _(
                "The JSON is not valid at line %(lineno)s, column %(colno)s: %(msg)s.",
                lineno=exc.lineno,
                colno=exc.colno,
                msg=exc.msg,
            )
        ) from None
    if isinstance(data, dict) and isinstance(data.get("studies"), list):
        data = data["studies"]
    if not isinstance(data, list):
        raise ImportFileError(_('The JSON must be a list of studies, or {"studies": [...]}.'))
    return data


def _csv_rows(text: str) -> list:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames or "title" not in reader.fieldnames:
            raise ImportFileError(_("The CSV has no header row with a “title” column."))
        return [_from_csv(row) for row in reader]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV cannot be read: %(exc)s.", exc=exc)) from None


def _cell(value) -> str:
    """Undo the export's spreadsheet protection (a quote before a formula character)."""
    text = (value or "").strip() if isinstance(value, str) else ""
    return text[1:] if text[:1] == "'" and text[1:2] in "=+-@\t\r" and text[1:2] else text


def _lines(value) -> list[str]:
    return [line.strip() for line in _cell(value).splitlines() if line.strip()]


def _from_csv(row: dict) -> dict:
    """Turn a CSV row (the staff export's columns) into the JSON shape of a study."""
    if None in row:
        row = {k: v for k, v in row.items() if k is not None} | {"_extra": "x"}
    out = {k: _cell(v) for k, v in row.items() if k not in LISTS and k != "author_emails"}
    for name in ("topics", "secondary_pillars"):
        out[name] = [t for t in (s.strip() for s in _cell(row.get(name)).split(";")) if t]
    out["timeline"] = [
        dict(zip(("date", "description"), line.split(" ", 1), strict=False))
        for line in _lines(row.get("timeline"))
    ]
    out["stakeholders"] = []
    for line in _lines(row.get("stakeholders")):
        match = _STAKEHOLDER.match(line)
        out["stakeholders"].append(
            dict(zip(("name", "type", "stance", "role"), match.groups(), strict=True))
            if match
            else {"name": line, "type": "", "stance": "", "role": ""}
        )
    out["links"] = []
    for line in _lines(row.get("links")):
        match = _LINK.match(line)
        out["links"].append({"label": match[1], "url": match[2]} if match else {"label": line})
    files = [p.strip() for p in _cell(row.get("attachments")).split(";") if p.strip()]
    if files:
        out["attachments"] = files
    lead = {key: _cell(row.get(f"lead_image_{key}")) for key in ("alt_text", "caption", "credit")}
    out.pop("lead_image", None)
    for key in lead:
        out.pop(f"lead_image_{key}", None)
    if _cell(row.get("lead_image")):
        out["lead_image"] = {"path": _cell(row.get("lead_image")), **lead}
    names = [n.strip() for n in _cell(row.get("authors")).split(";")]
    emails = [e.strip() for e in _cell(row.get("author_emails")).split(";") if e.strip()]
    if emails:
        out["authors"] = [
            {"email": e, "name": names[i] if i < len(names) else ""} for i, e in enumerate(emails)
        ]
    else:
        out["authors"] = [n for n in names if n]
    return {k: v for k, v in out.items() if v not in ("", None) or k in LISTS}
