"""Password hashing (argon2id, OWASP ASVS 5 Appendix C) and the rules a new password meets."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128

# argon2id, 19 MiB, 2 iterations, 1 lane: the OWASP minimum, and quick enough for 2 cores.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# A constant hash to verify against when the account does not exist, so timing reveals nothing.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; spend the same time when there is no hash to check against."""
    try:
        return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Return what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(min_length)s characters.", min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(max_length)s characters.", max_length=MAX_LENGTH)
    if password.lower() in _common():
        return _("This password is one of the most common ones; choose another.")
    return None
