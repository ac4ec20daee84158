"""One lock implementation for the site writer lock and the daemon lock: flock, the holder named
in the refusal, never inherited by a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from prisme_drift.errors import SiteBusyError
from prisme_drift.sitelock import DaemonLock, DaemonRunningError, running_daemon_pid, site_lock


def test_both_locks_name_their_holder_and_refuse_with_site_busy(tmp_path: Path) -> None:
    with site_lock(tmp_path, "drift accept"):
        busy = pytest.raises(SiteBusyError, match=rf"pid {os.getpid()}: drift accept")
        with busy, site_lock(tmp_path, "poll"):
            pass
        with DaemonLock(tmp_path, "s1"):  # a different file: a daemon may start meanwhile
            assert running_daemon_pid(tmp_path) == os.getpid()
            with pytest.raises(DaemonRunningError) as caught:
                DaemonLock(tmp_path, "s1").acquire()
    assert isinstance(caught.value, SiteBusyError) and caught.value.pid == os.getpid()
    assert running_daemon_pid(tmp_path) is None  # released: the file is emptied
    with site_lock(tmp_path, "poll"):
        pass


def test_a_child_left_running_by_a_dead_holder_does_not_keep_the_lock(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import os, subprocess
        from pathlib import Path
        from prisme_drift.sitelock import DaemonLock, site_lock
        with site_lock(Path({str(tmp_path)!r}), "poll"):
            DaemonLock(Path({str(tmp_path)!r}), "s1").acquire()
            child = subprocess.Popen(["sleep", "60"], close_fds=False)
            print(child.pid, flush=True)
            os._exit(0)  # dies holding both locks, its child alive
        """
    )
    out = tmp_path / "child.pid"  # a file, not a pipe: the child keeps its stdout open
    with out.open("w") as handle:
        subprocess.run([sys.executable, "-c", script], stdout=handle, check=True, timeout=60)
    child = int(out.read_text().strip())
    try:
        with site_lock(tmp_path, "poll"), DaemonLock(tmp_path, "s1"):
            pass  # free although the child the holder started still runs
    finally:
        os.kill(child, signal.SIGKILL)
