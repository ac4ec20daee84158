"""Classification: turn two normalized snapshots into categorized hunks."""

from prisme_drift.classify.categories import categorize
from prisme_drift.classify.diff import diff_configs, diff_facts, diff_snapshots
from prisme_drift.classify.tree import Node, parse

__all__ = ["Node", "categorize", "diff_configs", "diff_facts", "diff_snapshots", "parse"]
