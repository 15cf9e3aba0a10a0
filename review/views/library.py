"""The library area (to be built)."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")
