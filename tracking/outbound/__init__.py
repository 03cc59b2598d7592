"""Outbound events: signed webhooks to the shop's own tools (Standard Webhooks).

Parcel milestones, late orders, return status changes and customer questions become one event
row each (``events``, decided once in the database), delivered to every endpoint a brand lists
in its file (``[[webhooks]]``, ``config``) by the worker (``delivery``), signed as Standard
Webhooks says (``signing``). docs/webhooks.md is the shop's guide."""
