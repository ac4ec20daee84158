"""Reports of a site: gather inputs (inventory, database, git baseline, tickets), build, write.

This is the only report module that reads the site's stores; view models and rendering take
plain values, so they are tested without a database, git or SSH.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from prisme_drift.authorize.model import TicketStatus
from prisme_drift.authorize.service import all_tickets
from prisme_drift.baseline.store import OBSERVED, BaselineRepo, device_paths
from prisme_drift.config import Settings
from prisme_drift.errors import OperationalError
from prisme_drift.inventory import build_nornir, device_refs
from prisme_drift.models import DeviceRef
from prisme_drift.normalize.secrets import FingerprintKey
from prisme_drift.report.audit import build_audit
from prisme_drift.report.audit_model import AuditInput, AuditView, DeviceInfo, Mandate
from prisme_drift.report.charts import horizontal_bars
from prisme_drift.report.i18n import gettext_for
from prisme_drift.report.render import FORMATS, RenderOptions, options_from, write_document
from prisme_drift.report.rules import SEVERITIES, load_rules
from prisme_drift.state.store import load_site_state
from prisme_drift.statefiles import KEY_FILE
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import Device

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """A document written: its files and its figures."""

    site: str
    files: dict[str, Path]
    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """What ``--json`` prints."""
        return {
            "site": self.site,
            "pdf": str(self.files["pdf"]) if "pdf" in self.files else None,
            "html": str(self.files["html"]) if "html" in self.files else None,
            "figures": self.figures,
        }


def _inventory(settings: Settings) -> list[dict[str, Any]]:
    nr = build_nornir(settings)
    refs = device_refs(nr)
    return [
        {
            "name": name,
            "platform": str(host.platform or ""),
            "address": str(host.hostname or ""),
            "role": str(host.get("role") or ""),
            "restricted": refs[name].restricted,
            "groups": refs[name].groups,
        }
        for name, host in sorted(nr.inventory.hosts.items())
    ]


def _poll_rows(settings: Settings) -> dict[str, tuple[datetime | None, str | None]]:
    engine = shared_engine(settings.database_url)
    ensure_schema(engine)
    with session_factory(engine)() as session:
        rows = session.scalars(select(Device).where(Device.site == settings.site.name)).all()
        return {r.name: (r.last_success_at, r.last_status) for r in rows}


def _configs(settings: Settings, names: list[str]) -> dict[str, str]:
    site = settings.site.name
    found = {}
    with BaselineRepo(settings.baseline_path, site) as repo:
        if repo.head(OBSERVED) is None:
            return {}
        for name in names:
            text = repo.read_file(OBSERVED, device_paths(site, name)[0])
            if text is not None:
                found[name] = text
    return found


def _mandates(settings: Settings, devices: list[dict[str, Any]]) -> dict[str, tuple[Mandate, ...]]:
    restricted = [d for d in devices if d["restricted"]]
    if not restricted:
        return {}
    tickets = [t for t in all_tickets(settings) if t.mandate and t.status == TicketStatus.APPROVED]
    found: dict[str, tuple[Mandate, ...]] = {}
    for d in restricted:
        ref = DeviceRef(name=d["name"], groups=d["groups"], restricted=d["restricted"])
        found[d["name"]] = tuple(
            Mandate(ticket=t.id, reference=t.mandate or "", end=t.expires_at or t.end)
            for t in tickets
            if t.covers_device(ref)
        )
    return found


def _fingerprint(settings: Settings) -> Callable[[str], str] | None:
    """The site's secret marker function, without creating a key a report has no use for."""
    path = settings.state_path / KEY_FILE
    if not path.exists():
        return None
    return FingerprintKey.load_or_create(settings.state_path).mark


def audit_input(settings: Settings, now: datetime | None = None) -> AuditInput:
    """Everything the audit needs, from the site's inventory, database, baseline and tickets."""
    devices = _inventory(settings)
    polls = _poll_rows(settings)
    names = [d["name"] for d in devices]
    states = {n: s for n, s in load_site_state(settings).items() if n in names}
    return AuditInput(
        site=settings.site.name,
        client=settings.site.client,
        generated_at=now or datetime.now(UTC),
        devices=tuple(
            DeviceInfo(
                name=d["name"],
                platform=d["platform"],
                address=d["address"],
                role=d["role"],
                restricted=d["restricted"],
                last_success_at=polls.get(d["name"], (None, None))[0],
                last_status=polls.get(d["name"], (None, None))[1],
            )
            for d in devices
        ),
        states=states,
        configs=_configs(settings, names),
        mandates=_mandates(settings, devices),
        fingerprint=_fingerprint(settings),
    )


def local_date(when: datetime, timezone: str) -> str:
    """The date of ``when`` in the site's timezone (file names and titles say the local day)."""
    return when.astimezone(ZoneInfo(timezone)).date().isoformat()


def audit_context(view: AuditView, options: RenderOptions) -> dict[str, Any]:
    """Template context of the audit document."""
    lang = options.lang
    counts = view.severity_counts
    chart = horizontal_bars(
        [gettext_for(lang, f"severity.{s}") for s in SEVERITIES], [counts[s] for s in SEVERITIES]
    )
    date = local_date(view.generated_at, options.timezone)
    return {
        "view": view,
        "figures": view.figures(),
        "severity_chart": chart,
        "running_title": gettext_for(lang, "audit.running_title", site=view.site, date=date),
    }


def render_audit(data: AuditInput, options: RenderOptions, rules_folder: Path | None) -> Written:
    """Build and write the audit of prepared inputs (no store access: tests and benchmarks)."""
    view = build_audit(data, load_rules(rules_folder), options.lang)
    stem = f"{data.site}-audit-{local_date(data.generated_at, options.timezone)}"
    files = write_document(stem, "audit.html", audit_context(view, options), options)
    return Written(site=data.site, files=files, figures=view.figures())


def write_audit(
    settings: Settings,
    *,
    out_dir: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
    lang: str | None = None,
    now: datetime | None = None,
) -> Written:
    """``prisme-drift report audit``: the site's audit as PDF and/or HTML."""
    options = options_from(settings, lang=lang, formats=formats, out_dir=out_dir)
    data = audit_input(settings, now)
    if not data.states and not data.configs:
        raise OperationalError(
            f"no device of site {settings.site.name} has a good poll yet: run "
            "'prisme-drift run' first, then write the audit",
            site=settings.site.name,
        )
    return render_audit(data, options, settings.resolve(settings.report.rules))
