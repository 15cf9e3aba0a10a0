"""The one family of refusals: every operation that says no raises an OperationError.

`message` is written for the person; `field` names the form field it belongs to (None: the
page's own message). Views put the message beside `form[exc.field]` when there is one and never
read the message to find the field. `Stale` is the one refusal of a study that changed since
the person loaded it, with the one wording of it.
"""

from flask_babel import lazy_gettext as _l

STALE_MESSAGE = _l("This study changed since you opened it.")


class OperationError(Exception):
    """An operation refused what was asked; nothing was written."""

    def __init__(self, message: str, field: str | None = None):
        message = str(message)  # a lazily translated message, in the language of the request
        super().__init__(message)
        self.message = message
        self.field = field


class Stale(OperationError):
    """The study changed since the person loaded it; nothing was applied.

    `what_happened` lists, in words, what others did since (may be empty).
    """

    def __init__(self, what_happened: list[str] | None = None, field: str | None = None):
        super().__init__(STALE_MESSAGE, field)
        self.what_happened = what_happened or []
