"""The private parts of libraries this code leans on: each test fails when the library changes
the thing we rely on, so an upgrade says where to look instead of breaking quietly."""

import io

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Request

from review.infra.extensions import limiter
from review.infra.security import CleanRequest


def test_flask_limiter_still_marks_a_dead_storage_with_storage_dead(app_factory):
    # review/__init__.py resets it so that a new app looks at its own storage again.
    fresh = Limiter(key_func=get_remote_address)
    assert vars(fresh).get("_storage_dead") is False
    limiter._storage_dead = True
    app_factory()
    assert limiter._storage_dead is False


def test_werkzeug_still_loads_the_form_through_load_form_data():
    # review/security.py cleans the form inside this method, once, where Werkzeug fills it.
    assert callable(getattr(Request, "_load_form_data", None))
    body = b"name=Ana%00Ruiz"
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "QUERY_STRING": "q=a%00b",
        "SERVER_NAME": "x",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
    }
    request = CleanRequest(environ)
    assert request.form["name"] == "AnaRuiz" and request.values["name"] == "AnaRuiz"
    assert request.args["q"] == "ab"
