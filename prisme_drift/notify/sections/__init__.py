"""One section builder per event kind: the blocks (view model) of one event, worded.

A builder takes the event and the wording and returns blocks; words come from the catalogs
(``notify/locale``), layout from the templates (``notify/templates``). Adding an event kind
means a builder here, its words in both catalogs and a golden case (tests/notify/golden_cases.py).
"""

from __future__ import annotations

from collections.abc import Callable

from prisme_drift.notify.document import Block
from prisme_drift.notify.notifier import EventView, Wording
from prisme_drift.notify.sections import devices, drift, site

Section = Callable[[EventView, Wording], list[Block]]

SECTIONS: dict[str, Section] = {
    "drift_opened": drift.drift_opened_section,
    "drift_closed": drift.drift_closed_section,
    "transitional_expired": site.transitional_expired_blocks,
    "ticket_refused": site.ticket_refused_blocks,
    "device_unreachable": devices.device_unreachable_blocks,
    "device_recovered": devices.device_recovered_blocks,
    "fetch_quarantined": devices.fetch_quarantined_blocks,
    "hostkey_changed": devices.hostkey_changed_blocks,
    "device_removed": devices.device_removed_blocks,
    "job_failed": site.job_failed_blocks,
    "fleet_push_rejected": site.fleet_push_rejected_blocks,
    "store_unusable": site.store_unusable_blocks,
    "heartbeat": site.heartbeat_blocks,
    "test": site.test_blocks,
}
