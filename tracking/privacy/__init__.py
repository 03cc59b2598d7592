"""What Todoku holds about a person, and letting go of it: export (one JSON document per
request), erase on request, and retention (orders erased a set time after their last event).
Japan's APPI and the GDPR both give customers these rights; docs/privacy.md says what each
command keeps and why."""
