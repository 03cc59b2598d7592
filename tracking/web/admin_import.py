"""Staff upload order files at ``/admin/<brand_slug>/import`` (placeholder)."""

from flask import Blueprint

bp = Blueprint("admin_import", __name__)
