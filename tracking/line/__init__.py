"""LINE notifications through the shop's official account (Messaging API): the brand's
``[line]`` section, the link between an order and a LINE user (one-time codes typed into the
chat), webhook events, the push messages and the HTTP client (docs/line.md)."""
