"""The daemon: APScheduler jobs, systemd notification, signals, start-up recovery.

Run with ``prisme-drift daemon``; see ``docs/deployment.md``. Modules:

- ``duration``: ``"15m"`` -> seconds (also used by the settings schema, so it imports nothing);
- ``sdnotify``: READY / STATUS / WATCHDOG / STOPPING over ``$NOTIFY_SOCKET``;
- ``lock``: one daemon per site (``state/daemon.lock``);
- ``jobstate``: each job's last success / failure / next run, persisted in ``state/jobs.json``;
- ``recovery``: stale git locks, leftovers, ``git fsck``, SQLite ``quick_check``, torn polls;
- ``maintenance``: SQLite online backups, ``git gc`` / ``git fsck``;
- ``alerts``: the bridge to the notify layer (``job_failed`` events, the outbox sender);
- ``schedule``: job triggers, catch-up at start, ticket-window jobs;
- ``service``: the ``Daemon`` itself (scheduler, listeners, main loop, reload, shutdown);
- ``check``: ``prisme-drift check`` (read-only reachability and credentials test).

This package's ``__init__`` imports nothing, so that ``prisme_drift.config`` can use ``duration``.
"""
