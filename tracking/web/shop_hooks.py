"""Shopify webhooks: ``POST /hooks/shopify/<brand_slug>`` (placeholder, filled below)."""

from flask import Blueprint

bp = Blueprint("shop_hooks", __name__)
