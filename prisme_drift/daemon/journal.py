"""The daemon's log lines: journald priorities, scrubbed handlers, quiet APScheduler."""

from __future__ import annotations

import logging
import os
import sys
from typing import ClassVar

from prisme_drift.scrub import guard_handlers


class JournalFormatter(logging.Formatter):
    """``<3>ERROR prisme_drift.daemon.supervisor: [site] ...``: journald reads the ``<N>`` prefix
    as the syslog priority (only added when stderr is the journal)."""

    PRIORITIES: ClassVar[dict[int, int]] = {
        logging.CRITICAL: 2,
        logging.ERROR: 3,
        logging.WARNING: 4,
        logging.INFO: 6,
        logging.DEBUG: 7,
    }

    def __init__(self, journal: bool) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.journal:
            return text
        priority = self.PRIORITIES.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


def setup_logging(verbose: int) -> None:
    """INFO from prisme-drift by default (a daemon says what it does), journald priorities."""
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    for handler in root.handlers:
        handler.setFormatter(JournalFormatter(journal))
    guard_handlers()  # no device output, no secret in the journal, at any verbosity
    logging.getLogger("prisme_drift").setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # the listener reports job errors itself, with the site and job named
    logging.getLogger("apscheduler.executors").setLevel(logging.CRITICAL)
