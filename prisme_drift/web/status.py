"""A site's status on the fleet overview: one word and one colour, from the figures of
:func:`prisme_drift.fleet.views.site_lines` and the time of the site's last sync.

The first that applies, in this order:

1. ``unauthorized`` (red), *unauthorized change open*: the site has at least one open drift
   item judged unauthorized, or an expired transitional step still open (``open_unauthorized``
   or ``transitional_expired`` above zero) as of its last sync;
2. ``silent`` (grey), *site silent*: the site never synced, or its last sync is older than
   three of its sync intervals (``sites.sync_every_s``; one hour, the default ``sync_every``,
   when the site did not say): what the page shows of it may be stale;
3. ``gap`` (orange), *monitoring gap*: at least one present device whose last poll failed or
   was quarantined (``failing``), or no poll at all of the site for :data:`POLL_GAP` although
   it still syncs: a change there would go unseen;
4. ``good`` (green), *all good*: none of the above.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prisme_drift.fleet.views import SiteLine

STATUSES = ("unauthorized", "silent", "gap", "good")
#: The sync interval assumed when the site did not copy its own (the default ``sync_every``).
DEFAULT_SYNC = timedelta(hours=1)
#: Missed syncs after which a site is silent.
SILENT_AFTER = 3
#: No poll for this long while syncing: a monitoring gap.
POLL_GAP = timedelta(hours=6)


def site_status(line: SiteLine, sync_every_s: float | None, now: datetime) -> str:
    """One of :data:`STATUSES` for the site of ``line`` at ``now`` (see the module)."""
    if line.open_unauthorized or line.transitional_expired:
        return "unauthorized"
    every = timedelta(seconds=sync_every_s) if sync_every_s else DEFAULT_SYNC
    if line.last_sync is None or now - line.last_sync > SILENT_AFTER * every:
        return "silent"
    if line.failing or line.last_poll is None or now - line.last_poll > POLL_GAP:
        return "gap"
    return "good"
