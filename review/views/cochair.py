"""The cochair area (to be built)."""

from flask import Blueprint

bp = Blueprint("cochair", __name__, url_prefix="/cochair")
