"""Notifications: events, the outbox, the sender, and one module per notifier (email, webhook).

``events`` records what IT must hear about, once each, in the caller's transaction; ``outbox``
holds the messages and their delivery state; ``sender`` delivers them with backoff and the storm
limit; ``mail`` and ``webhook`` are the notifiers (``registry`` lists them); ``render`` words
everything in French or English. See docs/alerts.md.
"""
