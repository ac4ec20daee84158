"""``init --recreate-state``: a new state folder for a site whose state was lost, on purpose
and audit-logged (docs/reliability.md)."""

from __future__ import annotations

import logging
from pathlib import Path

from prisme_drift.authorize.registry import AuditLog
from prisme_drift.config import Settings
from prisme_drift.errors import RefusedError
from prisme_drift.normalize.secrets import FingerprintKey
from prisme_drift.sitelock import site_lock
from prisme_drift.statedir import make_private_dir, missing_state
from prisme_drift.statefiles import KEY_FILE, KNOWN_HOSTS
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine

log = logging.getLogger(__name__)

RECREATE_WARNINGS = (
    "SSH host keys are learned again on first use: compare the fingerprints the next run "
    "logs ('host key learned on first use') with the devices' own before trusting them",
    "a new secret-fingerprint key makes every redacted secret look changed once: check those "
    "drift items, then accept them ('prisme-drift drift accept ID --by ... --reason ...'); "
    "restoring the old state/fingerprint.key from a backup avoids this",
)


def recreate_state(settings: Settings, by: str, reason: str) -> list[Path]:
    """``init --recreate-state``: a new state folder for a site whose state was lost, on
    purpose and audit-logged; returns what was created. Refused when nothing is missing."""
    if not by.strip() or not reason.strip():
        raise RefusedError("re-creating the state needs --by NAME and --reason TEXT (audit trail)")
    state = settings.state_path
    if missing_state(settings) is None and (state / KEY_FILE).is_file():
        raise RefusedError(f"the state folder {state} is complete; nothing to re-create")
    existed = {p for p in (state, state / KEY_FILE, state / KNOWN_HOSTS) if p.exists()}
    make_private_dir(state)
    with site_lock(state, "init --recreate-state"):
        FingerprintKey.load_or_create(state)
        engine = shared_engine(settings.database_url)
        try:
            ensure_schema(engine)
            with session_factory(engine).begin() as session:
                audit = AuditLog(session, settings.site.name, state)
                audit.append(
                    by,
                    "state.recreate",
                    str(state),
                    {"reason": reason, "warnings": list(RECREATE_WARNINGS)},
                )
            audit.committed()
        finally:
            engine.dispose()
    log.warning("[%s] state folder %s re-created by %s: %s", settings.site.name, state, by, reason)
    return [p for p in (state, state / KEY_FILE) if p not in existed]
