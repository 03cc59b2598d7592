"""Postal addresses and people's names laid out in each country's order and conventions: one
helper (``postal.lines``) that every page and mail printing an address goes through."""
