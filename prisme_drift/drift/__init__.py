"""Drift items, their one home: queries and views (``items``), reconciliation with the tickets
during a poll (``reconcile``, ``transitional``), acceptance after the fact (``accept``).

Above ``authorize`` (verdicts come from the tickets), below ``notify`` (alerts describe items).
"""
