"""The texts the pages' scripts show (static/*.js), in the page's language.

A page that loads a script puts them in a JSON data block, which the script reads:
`<script type="application/json" id="script-texts">{{ script_texts("autosave")|tojson }}</script>`
(a data block never runs, so the Content Security Policy allows it). Each text keeps its
named placeholders (%(time)s) for the script to fill in; a plural comes as its "one" and
"other" forms. The scripts hold no words of their own.
"""

from flask_babel import gettext as _
from flask_babel import ngettext


def _autosave() -> dict[str, str]:
    # A count the script fills in: passed through as the placeholder itself.
    parts = {"count": "%(count)s"}
    return {
        "editing": _("Editing…"),
        "saving": _("Saving…"),
        "saved": _("Saved %(time)s"),
        "expired": _("Not saved: your session or this page has expired. Your text is still here."),
        "resend": _("Sign in again and keep my text"),
        "conflict": _(
            "Not saved: a co-author saved a newer version. Press Save to see both versions; "
            "your text is kept."
        ),
        "kept": _(
            "Kept %(time)s as you typed it. To fix before it is saved to the study: %(errors)s"
        ),
        "not_yet": _("Not saved yet: %(errors)s"),
        "failed": _("Not saved: %(reason)s Your text is still here: copy it somewhere safe."),
        "status": _("the server answered %(status)s."),
        "offline": _("Not saved: the connection failed. Your text is still here; it will retry."),
        "parts_one": ngettext(
            "%(count)s part still to complete (listed above).",
            "%(count)s parts still to complete (listed above).",
            1,
            **parts,
        ),
        "parts_other": ngettext(
            "%(count)s part still to complete (listed above).",
            "%(count)s parts still to complete (listed above).",
            2,
            **parts,
        ),
        "complete": _("Submits the saved version to the pillar’s co-chairs."),
        "at_most": _("%(count)s of at most %(max)s characters"),
        "at_least": _("%(count)s characters (at least %(min)s)"),
    }


def _slug_check() -> dict[str, str]:
    return {
        "free": _("/library/%(slug)s is free."),
        # The reasons come from the server and read after the field's name ("is required").
        "problem": _("This address %(problem)s."),
        "perhaps": _("This address %(problem)s. Perhaps “%(suggestion)s”?"),
    }


def _library() -> dict[str, str]:
    return {"studies": _("Case studies"), "topics": _("Topics")}


SCRIPTS = {"autosave": _autosave, "slug_check": _slug_check, "library": _library}


def script_texts(*scripts: str) -> dict[str, str]:
    """Return the texts of these scripts (names from SCRIPTS), translated, in one dict."""
    out: dict[str, str] = {}
    for name in scripts:
        out.update(SCRIPTS[name]())
    return out
