"""The studies area (to be built)."""

from flask import Blueprint

bp = Blueprint("studies", __name__, url_prefix="/studies")
