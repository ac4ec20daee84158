"""The daemon: APScheduler jobs, systemd notification, signals, start-up recovery.

Run with ``prisme-drift daemon``; see ``docs/deployment.md``. Modules:

- ``supervisor``: the ``Daemon`` itself (life cycle, main loop, reload, degraded mode, shutdown);
- ``scheduler``: the APScheduler 3.x adapter (plans, kicks, next runs, job outcomes recorded);
- ``jobs``: the job bodies (poll, window snapshot, outbox, backup, git maintenance, windows);
- ``signals``: SIGTERM / SIGINT / SIGHUP queued for the main thread;
- ``snapshot``: the daemon's validated copy of the inventory (``state/daemon/``);
- ``journal``: log lines with journald priorities;
- ``sdnotify``: READY / STATUS / WATCHDOG / STOPPING over ``$NOTIFY_SOCKET``;
- ``jobstate``: each job's last success / failure / next run, written to the database when usable;
- ``maintenance``: SQLite online backups, ``git gc`` / ``git fsck``;
- ``alerts``: the bridge to the notify layer (``job_failed`` events, out-of-store alerts, outbox);
- ``schedule``: job triggers, catch-up at start, ticket-window jobs;
- ``check``: ``prisme-drift check`` (read-only reachability and credentials test).
"""
