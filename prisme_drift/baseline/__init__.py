"""The git baseline: observed and approved histories, one file per device."""

from prisme_drift.baseline.store import APPROVED, OBSERVED, BaselineRepo

__all__ = ["APPROVED", "OBSERVED", "BaselineRepo"]
