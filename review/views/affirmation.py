"""The affirmation area (to be built)."""

from flask import Blueprint

bp = Blueprint("affirmation", __name__, url_prefix="/affirmation")
