"""Dates of a study's timeline as people write them: a year, a month or a day, in words or ISO."""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.case_study import MONTHS

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_WORDS = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]+)\.?(?:\s+(\d{1,2}),?)?\s+(\d{4})$")
MONTH_NAMES = {name.lower(): n for n, name in enumerate(MONTHS, start=1)}
MONTH_NAMES.update({name[:3].lower(): n for n, name in enumerate(MONTHS, start=1)})
MONTH_NAMES["sept"] = 9
DATE_EXAMPLES = _l("a year (2019), a month (April 2019 or 2019-04) or a day (14 April 2019)")


def parse_event_date(text: str) -> tuple[int, int | None, int | None]:
    """Parse a date as people write it: "2019", "2019-04", "April 2019", "Apr 2019",
    "14 April 2019", "April 14, 2019" or "2019-04-14". Return (year, month, day), month and
    day None when not given; raise ValueError with a message a person understands."""
    cleaned = " ".join((text or "").replace(",", " , ").split()).replace(" ,", ",").lower()
    match = _ISO.match(cleaned)
    if match:
        year, month, day = int(match[1]), match[2], match[3]
    else:
        words = _WORDS.match(cleaned)
        if not words or words[2] not in MONTH_NAMES or (words[1] and words[3]):
            raise ValueError(_("Write the date as %(examples)s.", examples=DATE_EXAMPLES))
        year, month, day = int(words[4]), MONTH_NAMES[words[2]], words[1] or words[3]
    month = int(month) if month else None
    day = int(day) if day else None
    if not 1800 <= year <= 2100:
        raise ValueError(_("The year must be between 1800 and 2100."))
    if month is not None and not 1 <= month <= 12:
        raise ValueError(_("The month must be between 1 and 12."))
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError(_("That day does not exist in that month.")) from None
    return year, month, day
