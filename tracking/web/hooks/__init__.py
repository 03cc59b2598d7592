"""Signed webhooks under ``/hooks``: ``shop`` (Shopify orders) and ``carrier`` (tracking
aggregators). CSRF-exempt: the signature is the credential."""
