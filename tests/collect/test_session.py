"""The hard deadline on device sessions: one watchdog thread for every session of a poll."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from prisme_drift_lab import Lab, LabDevice

from prisme_drift.collect.retry import fetch_with_retries
from prisme_drift.collect.session import Target, Watchdog
from prisme_drift.errors import CollectError
from prisme_drift.profiles import get_profile

HUNG = 4


def _watchdog_threads() -> list[threading.Thread]:
    """Threads that enforce session deadlines: ours, or a ``threading.Timer`` per watchdog
    (paramiko's own rekey timers are not ours)."""
    return [
        t
        for t in threading.enumerate()
        if t.name == "prisme-drift-watchdog"
        or isinstance(getattr(getattr(t, "function", None), "__self__", None), Watchdog)
    ]


@pytest.fixture
def hung_lab() -> Iterator[Lab]:
    devices = [
        LabDevice(name=f"sw{i:02d}", platform="ios", username="admin", password="pw")
        for i in range(1, HUNG + 1)
    ]
    with Lab(devices) as lab:
        for device in devices:
            lab.device(device.name).fault = "hang"
        yield lab


def test_a_later_shorter_deadline_fires_first_and_the_thread_ends() -> None:
    long_ours, long_peer = socket.socketpair()
    short_ours, short_peer = socket.socketpair()
    short_peer.settimeout(10)
    try:
        with Watchdog(60, long_ours) as slow, Watchdog(0.2, short_ours) as fast:
            assert short_peer.recv(1) == b""  # end of stream: the short one was shut down
            assert fast.expired
            assert not slow.expired
        for thread in _watchdog_threads():
            thread.join(5)  # both cancelled: the thread ends instead of sleeping 60 s
        assert _watchdog_threads() == []
        long_peer.setblocking(False)
        with pytest.raises(BlockingIOError):
            long_peer.recv(1)  # the long one was never shut down
    finally:
        for sock in (long_ours, long_peer, short_ours, short_peer):
            sock.close()


@pytest.mark.lab
def test_hung_devices_are_all_cut_by_one_watchdog_thread(hung_lab: Lab) -> None:
    seen: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            seen.append(len(_watchdog_threads()))

    def fetch(device: LabDevice) -> CollectError:
        target = Target(device.name, "127.0.0.1", device.port, "admin", "pw")
        with pytest.raises(CollectError) as info:
            fetch_with_retries(
                target,
                get_profile("ios"),
                deadline=time.monotonic() + 3,
                retries=0,
                backoff=0.1,
                conn_args={"ssh_strict": False, "conn_timeout": 5},
            )
        return info.value

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        devices = [hung_lab.device(f"sw{i:02d}") for i in range(1, HUNG + 1)]
        with ThreadPoolExecutor(HUNG) as pool:
            errors = list(pool.map(fetch, devices))
    finally:
        done.set()
        sampler.join()
    assert [e.kind for e in errors] == ["timeout"] * HUNG
    assert max(seen) == 1, seen  # one thread held the four deadlines (a Timer each before)
