"""Mail: the outbox (queued in the transaction of the change it reports) and SMTP delivery."""
