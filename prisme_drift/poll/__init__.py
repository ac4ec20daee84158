"""One poll of a site: collect -> guard -> normalize -> baseline -> classify -> drift items.

Each stage is a plain function of plain values; this package only wires them (``run``) and
records the outcome: per device (``judge``), in git (``baselines``), as structured state
(``state``) and as drift items and their events (``items``).
"""

from prisme_drift.poll.run import PollCancelled, run_poll

__all__ = ["PollCancelled", "run_poll"]
