"""Security headers on every response (a Content Security Policy among them), and the request
class that strips characters no database can store from every submitted value."""

from urllib.parse import parse_qsl

from flask import Flask, Request, Response
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# NUL cannot be stored in PostgreSQL text, and no person means to type one.
_UNSTORABLE = {0: None}


def _clean(values: ImmutableMultiDict) -> ImmutableMultiDict:
    if not any("\x00" in k or "\x00" in v for k, v in values.items(multi=True)):
        return values
    return ImmutableMultiDict(
        (k.translate(_UNSTORABLE), v.translate(_UNSTORABLE)) for k, v in values.items(multi=True)
    )


class CleanRequest(Request):
    """A request whose form fields and query parameters never carry NUL characters."""

    def _load_form_data(self) -> None:
        loaded = "form" in self.__dict__
        super()._load_form_data()
        if not loaded:
            self.__dict__["form"] = _clean(self.__dict__["form"])

    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _clean(super().args)

    @cached_property
    def args_with_nul(self) -> list[str]:
        """The query parameters whose raw value carried NUL (stripped from `args`): a strict
        reader (the API) refuses them rather than answer for what was not asked."""
        raw = parse_qsl(self.query_string.decode("utf-8", "replace"), keep_blank_values=True)
        return sorted({k.translate(_UNSTORABLE) for k, v in raw if "\x00" in k + v})


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response
