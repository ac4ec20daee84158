"""The notifiers prisme-drift knows, by channel name; each is one module with the same functions.

A module (``mail``, ``webhook``) offers ``is_configured(settings)`` (its settings section is
present) and ``from_settings(settings)`` (a :class:`Notifier`). Adding a channel means adding a
module and a line below. The chat channels (``chat``, through Apprise) are one per
``[notify] urls`` entry, after those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prisme_drift.config import Settings
from prisme_drift.notify import chat, mail, webhook
from prisme_drift.notify.notifier import Notifier, Wording


@dataclass(frozen=True)
class Channel:
    """A registered notifier module."""

    name: str
    is_configured: Callable[[Settings], bool]
    from_settings: Callable[[Settings], Notifier]


CHANNELS = (
    Channel("email", mail.is_configured, mail.from_settings),
    Channel("webhook", webhook.is_configured, webhook.from_settings),
)


def configured_channels(settings: Settings) -> list[str]:
    """Names of the channels whose settings section is present, then the chat channels."""
    return [c.name for c in CHANNELS if c.is_configured(settings)] + list(
        chat.channel_urls(settings)
    )


def notifiers_for(settings: Settings) -> dict[str, Notifier]:
    """One notifier per configured channel (no secret is read until a delivery)."""
    found: dict[str, Notifier] = {
        c.name: c.from_settings(settings) for c in CHANNELS if c.is_configured(settings)
    }
    return {**found, **chat.notifiers(settings)}


def wording_for(settings: Settings) -> Wording:
    """How this site's notifications are worded (and which email templates it overrides)."""
    templates = settings.resolve(settings.notify.templates)
    return Wording(
        language=settings.notify.language,
        timezone=settings.site.timezone,
        config_path=str(settings.source),
        client=settings.site.client,
        max_per_hour=settings.notify.max_per_hour,
        known_hosts=str(settings.state_path / "known_hosts"),
        templates=str(templates) if templates.is_dir() else "",
        provider=settings.report.provider,
        provider_address=settings.report.provider_address,
        provider_contact=settings.report.provider_contact,
    )
