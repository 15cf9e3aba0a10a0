"""Which language a page or an email is in: Flask-Babel, its locale selector and the switch.

English is the source language and the default. A signed-in person reads their own
preference (User.locale, set from the browser's Accept-Language at the first sign-in and
editable on /account/); a visitor reads the footer switch's cookie, else Accept-Language.
Emails are rendered in the recipient's language (workers.mail, under force_locale).
"""

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, gettext, refresh
from flask_login import current_user
from sqlalchemy.exc import OperationalError

import config as config_module
from models.enums import LOCALES

DEFAULT_LOCALE = "en"
COOKIE = "lang"
COOKIE_AGE = 365 * 86400

babel = Babel()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(config_module.BASE_DIR / "translations")
    )
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel keeps the chosen language on `g`, which lives as long as the app context: a
    # request that reuses one (the tests', a job's) chooses again.
    app.before_request(refresh)
    app.jinja_env.globals.update(LOCALES=LOCALES, current_locale=current_locale)
    app.jinja_env.filters["translate"] = translate


def N_(text: str) -> str:
    """Mark a text for extraction only: it is stored in English and translated where shown
    (an email's context is written once and rendered in each recipient's language)."""
    return text


def translate(text: str | None) -> str:
    """Translate a stored English text (a label kept in an email's context); a filter."""
    return gettext(text) if text else ""


def current_locale() -> str:
    """Return the language of this page or email ("en", "es")."""
    return str(get_locale() or DEFAULT_LOCALE)


def supported(code: str | None) -> str | None:
    """Return `code` if the product speaks it, else None."""
    return code if code in LOCALES else None


def browser_locale() -> str:
    """Return the best language the browser asks for, or English."""
    return request.accept_languages.best_match(list(LOCALES)) or DEFAULT_LOCALE


def select_locale() -> str:
    """The signed-in person's preference, else the switch's cookie, else the browser's."""
    if not has_request_context():
        return DEFAULT_LOCALE  # a job or a command: it says which language it writes in
    try:
        if current_user and current_user.is_authenticated and supported(current_user.locale):
            return current_user.locale
    except OperationalError:
        pass  # the database is down: the error page is drawn in the browser's language
    return supported(request.cookies.get(COOKIE)) or browser_locale()


def locale_of(user) -> str:
    """Return the language to write to this person in (their preference, else English)."""
    return supported(getattr(user, "locale", None)) or DEFAULT_LOCALE


def remember_first_locale(user) -> None:
    """At the first sign-in, take the person's language from the switch or the browser."""
    if not supported(user.locale):
        user.locale = supported(request.cookies.get(COOKIE)) or browser_locale()
        refresh()  # the rest of this request (the welcome) speaks it
