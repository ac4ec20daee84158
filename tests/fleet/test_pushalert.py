"""A rejected fleet push is one ``fleet_push_rejected`` alert per divergence, emailed to IT,
on SQLite and PostgreSQL; the remote is never forced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from prisme_drift.baseline.store import APPROVED, OBSERVED
from prisme_drift.config import Settings, load_settings
from prisme_drift.fleet.gitsync import GitPushResult, push_baseline
from prisme_drift.fleet.pushalert import record_push_result
from prisme_drift.notify.sender import deliver_due
from prisme_drift.store.engine import ensure_schema, make_engine, session_factory
from prisme_drift.store.models import Event, OutboxMessage
from tests.fleet.conftest import SITE, Baseline, diverge, head
from tests.notify.conftest import SmtpServer, smtp_server, tls_files  # noqa: F401 - fixtures


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


def settings_for(folder: Path, db_url: str, smtp: str) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prisme-drift.toml"
    config.write_text(
        f'[site]\nname = "{SITE}"\n[database]\nurl = "{db_url}"\n[state]\npath = "state"\n'
        f'[notify]\nheartbeat = "off"\nlanguage = "fr"\n{smtp}\n'
    )
    return load_settings(config)


def sync(baseline: Baseline, remote: Path, engine: Engine, settings: Settings) -> GitPushResult:
    """What the fleet-sync job does with the git side: push, then record the outcome."""
    result = push_baseline(
        baseline.path, remote.as_uri(), ssh_key_file=None, token_file=None, timeout=60
    )
    with session_factory(engine).begin() as session:
        record_push_result(session, settings, result)
    return result


def events(engine: Engine) -> list[Event]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Event).where(Event.kind == "fleet_push_rejected")))


def test_a_divergence_alerts_once_until_the_remote_moves_again(
    baseline: Baseline,
    remote: Path,
    engine: Engine,
    tmp_path: Path,
    db_url: str,
    smtp_server: Callable[..., SmtpServer],  # noqa: F811 - the fixture
) -> None:
    server = smtp_server("starttls")
    settings = settings_for(tmp_path / "conf", db_url, server.toml(tmp_path))
    sync(baseline, remote, engine, settings)
    assert events(engine) == []  # a good push alerts nobody

    theirs = diverge(remote, OBSERVED)
    for _ in range(3):  # every sync while the divergence lasts, with new local commits
        baseline.commit(OBSERVED)
        sync(baseline, remote, engine, settings)
    (event,) = events(engine)
    assert event.payload["branch"] == OBSERVED and event.payload["remote_head"] == theirs
    assert event.payload["remote"] == remote.as_uri()
    assert head(remote, OBSERVED) == theirs  # never forced

    assert deliver_due(settings, engine=engine).sent == 1
    (mail,) = server.received
    subject = (
        f"[prisme-drift] {SITE} : copie git vers la flotte refusée, le dépôt central a divergé"
    )
    # a long encoded subject comes back folded, with spaces where it was cut
    assert "".join(mail.subject.split()) == "".join(subject.split())
    assert "Le serveur git de la flotte a refusé la branche observed" in mail.text
    assert theirs in mail.text

    again = diverge(remote, OBSERVED)  # someone wrote once more: a new divergence
    sync(baseline, remote, engine, settings)
    assert [e.payload["remote_head"] for e in events(engine)] == [theirs, again]
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_both_branches_rejected_are_two_events_and_approved_is_untouched(
    baseline: Baseline, remote: Path, engine: Engine, tmp_path: Path, db_url: str
) -> None:
    settings = settings_for(tmp_path / "conf", db_url, "")
    sync(baseline, remote, engine, settings)
    theirs = {b: diverge(remote, b) for b in (OBSERVED, APPROVED)}
    baseline.commit(OBSERVED)
    baseline.commit(APPROVED)
    result = sync(baseline, remote, engine, settings)
    assert {b.branch for b in result.rejected} == {OBSERVED, APPROVED}
    assert {e.payload["branch"]: e.payload["remote_head"] for e in events(engine)} == theirs
    assert {b: head(remote, b) for b in theirs} == theirs
