"""prisme-drift: network configuration drift detection reconciled with approved change tickets."""

__version__ = "0.1.0"
