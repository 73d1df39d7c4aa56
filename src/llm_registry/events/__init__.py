"""The change feed: every change appends an event in its own transaction (an outbox)."""
