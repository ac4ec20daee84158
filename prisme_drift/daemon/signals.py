"""SIGTERM, SIGINT and SIGHUP for the daemon's main thread.

The handler only queues the signal number (``SimpleQueue.put`` is safe there); the main thread
takes them between ticks, so a reload or a stop never runs inside a signal handler.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
from types import FrameType

log = logging.getLogger(__name__)


class SignalInbox:
    """Signals received, as two flags: stop requested (also sets ``stop_event``) and reload."""

    def __init__(self, site: str, stop_event: threading.Event) -> None:
        self.site = site
        self.stop_event = stop_event
        self.stop_requested = False
        self.reload_requested = False
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()

    def install(self) -> None:
        """Route SIGTERM, SIGINT and SIGHUP here (main thread only)."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._queue.put(signum)

    def wait(self, timeout: float) -> None:
        """Take the next signal, waiting at most ``timeout`` seconds for one."""
        try:
            self._take(self._queue.get(timeout=timeout))
        except queue.Empty:
            return

    def drain(self) -> None:
        """Take every signal already received, without waiting."""
        while True:
            try:
                self._take(self._queue.get_nowait())
            except queue.Empty:
                return

    def _take(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            self.reload_requested = True
            return
        if not self.stop_requested:
            log.info("[%s] %s received: stopping", self.site, signal.Signals(signum).name)
        self.stop_requested = True
        self.stop_event.set()
