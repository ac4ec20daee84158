"""Collection: Nornir runs one fetch per device, each bounded in time; the guard judges it."""

from prisme_drift.collect.guard import check_fetch
from prisme_drift.collect.runner import CollectOptions, collect_all

__all__ = ["CollectOptions", "check_fetch", "collect_all"]
