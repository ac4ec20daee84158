"""``prisme-drift notify test``: send a test message on each channel and say what failed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prisme_drift.config import Settings
from prisme_drift.notify.notifier import (
    DeliveryError,
    EventView,
    Notification,
    Notifier,
    is_private,
)
from prisme_drift.notify.registry import notifiers_for, wording_for
from prisme_drift.secreturls import REFERENCE, reference_path
from prisme_drift.timefmt import utcnow


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one channel's test: ``kind`` and ``fix`` are set when it failed."""

    channel: str
    target: str
    ok: bool
    detail: str
    kind: str = ""
    fix: str = ""
    warnings: tuple[str, ...] = ()


def test_notification(site: str) -> Notification:
    """A notification carrying one ``test`` event (never stored)."""
    now = utcnow()
    return Notification(site, "test", (EventView(0, "test", site, None, now, {}),), now)


def _warnings(settings: Settings) -> tuple[str, ...]:
    """Secret files others can read."""
    files: list[tuple[str, Path | None]] = [
        ("[smtp] password_file", settings.smtp.password_file if settings.smtp else None),
        ("[webhook] token_file", settings.webhook.token_file if settings.webhook else None),
    ]
    files += [
        (f"[notify] urls[{n}] reference", reference_path(kind, value, settings.source.parent))
        for n, url in enumerate(settings.notify.urls, start=1)
        for kind, value in REFERENCE.findall(url)
    ]
    return tuple(
        f"{key} {settings.resolve(path)} is readable by other users: chmod 600 it"
        for key, path in files
        if path is not None and not is_private(settings.resolve(path))
    )


def check_channel(settings: Settings, notifier: Notifier) -> CheckResult:
    """Send the test message through ``notifier``, now, bypassing the outbox."""
    warnings = _warnings(settings)
    try:
        note = notifier.deliver(test_notification(settings.site.name), wording_for(settings))
    except DeliveryError as exc:
        return CheckResult(
            notifier.channel, notifier.describe(), False, str(exc), exc.kind, exc.fix, warnings
        )
    return CheckResult(notifier.channel, notifier.describe(), True, note, warnings=warnings)


def check_channels(settings: Settings, only: str | None = None) -> list[CheckResult]:
    """Test every configured channel (or only ``only``)."""
    return [
        check_channel(settings, notifier)
        for channel, notifier in notifiers_for(settings).items()
        if only in (None, channel)
    ]
