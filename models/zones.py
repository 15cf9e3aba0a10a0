"""The time zones a person may choose, as the choices of the domain (like the US states of
models/enums.py): every IANA name this machine knows, and the regions' cities offered."""

from functools import lru_cache
from zoneinfo import available_timezones

DEFAULT_ZONE = "UTC"


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (from tzdata)."""
    return frozenset(available_timezones())


# The zones offered to people: the regions' cities, not the aliases and POSIX leftovers.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    """Return the (value, label) pairs of the zones a person may choose, UTC first."""
    names = sorted(n for n in zone_names() if n.split("/", 1)[0] in REGIONS and "/" in n)
    return [(DEFAULT_ZONE, DEFAULT_ZONE)] + [(n, n.replace("_", " ")) for n in names]


def is_zone(name: str | None) -> bool:
    """Whether `name` is a known IANA time zone ("America/Chicago", "UTC")."""
    return bool(name) and name in zone_names()
