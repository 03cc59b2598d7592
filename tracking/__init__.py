"""Todoku: the application (models, services, blueprints)."""
