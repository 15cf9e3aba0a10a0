"""URL converters for the whole app: an id in a path is a number the database can hold.

Werkzeug's `int` converter accepts any run of digits, so /studies/9223372036854775808 reached
the database: SQLite raised OverflowError (a 500) and PostgreSQL "integer out of range" (a
400). Every `<int:…>` of every blueprint now answers 404 for a number no row can have, the
same answer as for an id that does not exist (SPEC §9).
"""

from flask import Flask
from werkzeug.routing import IntegerConverter, ValidationError

# Primary keys are INTEGER columns: 32-bit signed on PostgreSQL, the smaller of both engines.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`int` for ids: digits only (no sign), 1 to MAX_ID; anything else does not match."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not 1 <= number <= MAX_ID:
            raise ValidationError()
        return number


def init_app(app: Flask) -> None:
    """Replace `int` before any blueprint adds a rule (rules read the converter when added)."""
    app.url_map.converters["int"] = IdConverter
