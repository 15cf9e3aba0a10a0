"""Dates and times as the reader reads them: in their time zone and their language.

Everything is stored in UTC (models.clock); only the moment it is shown is converted. Pages and
emails go through `show()` (and the `date`, `datetime`, `when` and `ago` template filters that
call it), so one function decides how a moment reads. The reader is the template's
`reader_zone` / `reader_locale` when given (an email names its recipient's), else the person
signed in, else UTC in English.
"""

import functools
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_timedelta
from flask import has_app_context, has_request_context
from flask_babel import get_locale
from flask_login import current_user

from models.clock import utcnow
from models.zones import DEFAULT_ZONE, is_zone, zone_choices, zone_names  # noqa: F401

DEFAULT_LOCALE = "en"
# "16 Dec 2026, 8:04 AM EST" / "16 dic 2026, 8:04 a. m. EST"; the zone's own abbreviation
# follows (CLDR has Spanish names for few zones and would write "-0500").
DATETIME_PATTERN = "d MMM y, h:mm a"
# A date alone: English keeps "16 December 2026"; other languages take their long form
# ("16 de diciembre de 2026").
DATE_PATTERNS = {"en": "d MMMM y"}
# Past this a relative time counts days, then hours, then minutes.
UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))
# Under a minute: CLDR's word for "now" ("ahora"), but English keeps the wording it had.
JUST_NOW = {"en": "just now"}


def zone(name: str | None) -> ZoneInfo:
    """Return the zone of that name, UTC for an empty or unknown one."""
    try:
        return ZoneInfo(name) if is_zone(name) else ZoneInfo(DEFAULT_ZONE)
    except ZoneInfoNotFoundError:  # listed but its file is missing
        return ZoneInfo(DEFAULT_ZONE)


def reader(context=None) -> tuple[str, str]:
    """Return (zone name, locale) of whoever reads what is being rendered.

    A template context's `reader_zone` / `reader_locale` win (emails: the recipient's); on a
    page, the signed-in person's zone, otherwise UTC, and the language the page is drawn in
    (flask_babel's: the person's, the visitor's choice or their browser's; an email rendered
    under force_locale gets its recipient's), otherwise English.
    """
    context = context or {}
    person = None
    if has_request_context() and current_user and current_user.is_authenticated:
        person = current_user
    zone_name = context.get("reader_zone") or getattr(person, "time_zone", None) or DEFAULT_ZONE
    locale = context.get("reader_locale") or _drawn_in() or DEFAULT_LOCALE
    return zone_name, locale


def _drawn_in() -> str | None:
    """The language of the page or email being rendered (None outside the app)."""
    if not has_app_context():
        return None
    current = get_locale()
    return str(current) if current is not None else None


def show(
    value: datetime | str | None,
    zone_name: str = DEFAULT_ZONE,
    locale: str = DEFAULT_LOCALE,
    *,
    date_only: bool = False,
) -> str:
    """Say when `value` is in the reader's zone and language ("16 Dec 2026, 8:04 AM EST").

    Takes an aware datetime or its ISO string (as notifications store it); a string that is
    not a date comes back as it is, None as "".
    """
    value = _moment(value)
    if not isinstance(value, datetime):
        return value or ""
    return _shown(value, zone_name, locale, date_only)


# A moment reads the same in one zone and language whenever it is shown: pages of many rows
# (the co-chair queue, the staff lists) show the same moments at every request.
@functools.lru_cache(maxsize=8192)
def _shown(value: datetime, zone_name: str, locale: str, date_only: bool) -> str:
    local = value.astimezone(zone(zone_name))
    if date_only:
        return babel_date(local.date(), DATE_PATTERNS.get(locale, "long"), locale=locale)
    text = babel_datetime(local, DATETIME_PATTERN, locale=locale)
    return f"{text} {local.tzname()}"


def relative(
    value: datetime | str | None, locale: str = DEFAULT_LOCALE, now: datetime | None = None
) -> str:
    """Say how far `value` is from now ("in 14 days", "3 hours ago"), rounded to the nearest.

    A deadline 13 days and 23 hours away is "in 14 days", never cut down to 13; under a minute
    is "now" in the reader's language.
    """
    value = _moment(value)
    if not isinstance(value, datetime):
        return value or ""
    delta = value - (now or utcnow())
    seconds = delta.total_seconds()
    for unit, size in UNITS:
        if abs(seconds) >= size - size / 120:  # 23h 59m 31s is a day away, not 1439 minutes
            return format_timedelta(
                delta, granularity=unit, threshold=math.inf, add_direction=True, locale=locale
            )
    return (
        JUST_NOW.get(locale) or Locale.parse(locale)._data["date_fields"]["second"]["relative"][0]
    )


def typed_in(value: datetime, zone_name: str | None) -> datetime:
    """Return the UTC moment of a time typed in the reader's zone (a form's naive datetime).

    Across a daylight-saving change the zone's offset on that day counts ("2 Nov, 10:00" in
    Chicago is 16:00 UTC, "30 Oct, 10:00" 15:00 UTC); a time the clocks skip reads with the
    offset before the change, and one they repeat is the first of the two.
    """
    return value.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def for_input(value: datetime, zone_name: str | None) -> datetime:
    """Return a UTC moment as the naive local time a datetime-local field shows."""
    return value.astimezone(zone(zone_name)).replace(tzinfo=None)


def _moment(value):
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value
