"""Recovery: clear what a crash leaves behind, check the stores, before any write.

Every writer (``run``, the daemon's polls, ``drift accept``) goes through :func:`site_writer`:
it checks the state folder, takes the site lock (so no other prisme-drift writer is alive),
then runs :func:`writer_recovery`. The daemon also runs :func:`startup_recovery` at start, which
adds ``git fsck``. In order:

1. stale git state (only if no ``git`` process works in the repository): ``index.lock``,
   ``HEAD.lock``, ``config.lock``, ``packed-refs.lock``, ``refs/**/*.lock``, and our private
   ``prisme-index.*`` files and ``prisme-blobs.*`` folders;
2. ``git fsck`` of the baseline repository (daemon start and weekly maintenance only: it reads
   every object);
3. SQLite ``PRAGMA quick_check`` of the state database (skipped on PostgreSQL);
4. a torn poll: a poll killed between its git commit and its database commit leaves the
   ``observed`` branch ahead of the last poll the database knows. The branch is moved back to
   the recorded commit (the orphan stays reachable as ``refs/prisme-drift/aborted/<sha>``), so
   the next poll sees those changes again and opens their drift items instead of calling them
   "unchanged".

A failed check is a *problem*: a command stops with a clear error (exit 7) and the daemon
alerts and refuses to write (degraded mode) rather than commit on top of a broken store. An
error in the middle of a write (disk full after the git commit) is left for the next writer's
recovery to repair, and reported as an :class:`~prisme_drift.errors.OperationalError`.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from git.exc import GitCommandError
from sqlalchemy import select

from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.baseline.gitproc import git_fsck
from prisme_drift.config import Settings
from prisme_drift.errors import (
    ConfigError,
    CorruptStoreError,
    DiskFullError,
    OperationalError,
    ReadOnlyError,
    RefusedError,
    SiteBusyError,
    StateMissingError,
    corrupt_store_error,
    operational_error,
)
from prisme_drift.sitelock import site_lock
from prisme_drift.statedir import ensure_state
from prisme_drift.store.check import sqlite_file, sqlite_quick_check
from prisme_drift.store.engine import ensure_schema, session_factory, shared_engine
from prisme_drift.store.models import Poll
from prisme_drift.store.urls import mask_url

log = logging.getLogger(__name__)

GIT_LOCKS = ("index.lock", "HEAD.lock", "config.lock", "packed-refs.lock", "shallow.lock")
PRIVATE_LEFTOVERS = ("prisme-index.*", "prisme-blobs.*")
ABORTED_REFS = "refs/prisme-drift/aborted"


@dataclass
class RecoveryReport:
    """What recovery removed or repaired, and the problems that force degraded mode."""

    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    store_broken: bool = False  # the database itself is unusable: its outbox cannot alert

    @property
    def degraded_reason(self) -> str | None:
        """None when the stores are sound."""
        return "; ".join(self.problems) if self.problems else None


# --------------------------------------------------------------------------- git leftovers


def git_processes_using(git_dir: Path) -> list[int]:
    """Pids of ``git`` processes working in ``git_dir`` (by working folder or command line)."""
    target = str(git_dir.resolve())
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() != "git":
                continue
            cwd = str((proc / "cwd").resolve())
            cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        if cwd == target or target in cmdline.split("\0"):
            found.append(int(proc.name))
    return found


def stale_git_leftovers(git_dir: Path) -> list[Path]:
    """Lock files and private temporary files a killed writer may have left."""
    found = [git_dir / name for name in GIT_LOCKS if (git_dir / name).exists()]
    refs = git_dir / "refs"
    if refs.is_dir():
        found += sorted(refs.rglob("*.lock"))
    for pattern in PRIVATE_LEFTOVERS:
        found += sorted(git_dir.glob(pattern))
    return found


def clear_stale_git_state(git_dir: Path, site: str) -> tuple[list[str], list[str]]:
    """Remove stale leftovers when no git process is alive there; (removed, notes)."""
    leftovers = stale_git_leftovers(git_dir)
    if not leftovers:
        return [], []
    alive = git_processes_using(git_dir)
    if alive:
        note = (
            f"git process(es) {', '.join(map(str, alive))} still work in {git_dir}: "
            f"{len(leftovers)} lock file(s) left alone"
        )
        log.warning("[%s] %s", site, note)
        return [], [note]
    removed = []
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        rel = str(path.relative_to(git_dir))
        removed.append(rel)
        log.warning("[%s] removed stale %s from %s (left by a killed writer)", site, rel, git_dir)
    return removed, []


# --------------------------------------------------------------------------- torn polls


def _recorded_observed(settings: Settings, among: list[str] | None = None) -> set[str]:
    """Observed commits that finished polls recorded: the newest one (``among`` None), or those
    of ``among``. One row either way, or as many as ``among`` holds: never the whole history
    (read at every poll, it grew with every poll a site ever made)."""
    engine = shared_engine(settings.database_url)
    try:
        ensure_schema(engine)
        with session_factory(engine)() as session:
            query = select(Poll.observed_commit).where(
                Poll.site == settings.site.name,
                Poll.finished_at.is_not(None),
                Poll.observed_commit.is_not(None),
            )
            if among is None:
                found = list(session.scalars(query.order_by(Poll.id.desc()).limit(1)))
            else:  # in slices: a database restored from an old backup may leave thousands
                found = [
                    commit
                    for start in range(0, len(among), 500)
                    for commit in session.scalars(
                        query.where(Poll.observed_commit.in_(among[start : start + 500]))
                    )
                ]
    finally:
        engine.dispose()
    return {str(commit) for commit in found}


def reconcile_observed(settings: Settings) -> str | None:
    """Move ``observed`` back over commits of killed polls; returns a note when it did."""
    newest = _recorded_observed(settings)
    if not newest:
        return None
    recorded = newest.pop()
    site = settings.site.name
    with BaselineRepo(settings.baseline_path, site) as repo:
        head = repo.head(OBSERVED)
        if head is None or head == recorded:
            return None
        git = repo.repo.git
        try:
            git.merge_base("--is-ancestor", recorded, head)
        except GitCommandError:
            return (
                f"observed head {head[:10]} does not descend from the last recorded poll's "
                f"commit {recorded[:10]}; left alone (check the repository by hand)"
            )
        orphans = str(git.rev_list(f"{recorded}..{head}")).split()
        if _recorded_observed(settings, orphans):  # a poll recorded one: not a killed poll's
            return None
        keep = f"{ABORTED_REFS}/{head}"
        git.update_ref(keep, head)
        git.update_ref(f"refs/heads/{OBSERVED}", recorded, head)
    note = (
        f"observed moved back from {head[:10]} to {recorded[:10]}: {len(orphans)} commit(s) "
        f"of a poll killed before its database commit (kept as {keep}); the next poll "
        "sees those changes again"
    )
    log.warning("[%s] %s", site, note)
    return note


# --------------------------------------------------------------------------- database


def database_label(settings: Settings) -> str:
    """The state database as messages name it: its file, or its URL with the password masked."""
    path = sqlite_file(settings.database_url)
    return str(path) if path is not None else mask_url(settings.database_url)


def database_problem(settings: Settings) -> str | None:
    """``PRAGMA quick_check`` of a SQLite state database: None when sound (or not SQLite)."""
    path = sqlite_file(settings.database_url)
    return sqlite_quick_check(path) if path is not None else None


def translate(exc: BaseException, settings: Settings) -> OperationalError | None:
    """``operational_error`` with this site's database, state folder and baseline named."""
    return operational_error(
        exc,
        database=database_label(settings),
        state=str(settings.state_path),
        baseline=str(settings.baseline_path),
    )


# --------------------------------------------------------------------------- all together


def writer_recovery(settings: Settings) -> RecoveryReport:
    """What every writer runs under the site lock before its first write.

    Clears a killed writer's git leftovers, refuses a corrupt SQLite database
    (CorruptStoreError) and moves ``observed`` back over a torn poll.
    """
    site = settings.site.name
    report = RecoveryReport()
    git_dir = settings.baseline_path
    if git_dir.exists():
        report.removed, report.notes = clear_stale_git_state(git_dir, site)
    problem = database_problem(settings)
    if problem:
        raise corrupt_store_error(database_label(settings), problem, str(settings.state_path))
    note = reconcile_observed(settings)
    if note:
        report.notes.append(note)
    return report


@contextmanager
def site_writer(settings: Settings, purpose: str) -> Iterator[RecoveryReport]:
    """The one way in for every writer: state check, site lock, recovery, then the write.

    Disk full, read-only file systems and corrupt stores met before or during the write are
    raised as clear OperationalErrors naming the file and the fix; a write torn by them is
    repaired by the next writer's recovery.
    """
    try:
        ensure_state(settings)
        with site_lock(settings.state_path, purpose):
            yield writer_recovery(settings)
    except (DiskFullError, ReadOnlyError, CorruptStoreError, StateMissingError):
        raise
    except (RefusedError, SiteBusyError, ConfigError):
        raise
    except Exception as exc:
        better = translate(exc, settings)
        if better is None:
            raise
        log.debug("[%s] %s: %s", settings.site.name, purpose, better, exc_info=True)
        raise better from exc


def startup_recovery(settings: Settings, stop: threading.Event | None = None) -> RecoveryReport:
    """The daemon's start: every step above plus ``git fsck``; problems are collected (degraded
    mode) instead of raised. The caller holds the daemon lock and the site lock."""
    site = settings.site.name
    report = RecoveryReport()
    git_dir = settings.baseline_path
    if git_dir.exists():
        removed, notes = clear_stale_git_state(git_dir, site)
        report.removed += removed
        report.notes += notes
    BaselineRepo.create(git_dir)
    problem = git_fsck(git_dir, stop)
    if problem:
        report.problems.append(problem)
    if sqlite_file(settings.database_url) is None:
        report.notes.append("state database is not SQLite: quick_check skipped")
    problem = database_problem(settings)
    if problem:
        report.problems.append(problem)
        report.store_broken = True
    if not report.problems:
        try:
            note = reconcile_observed(settings)
        except Exception as exc:  # a database down at start is no reason to refuse to start
            better = translate(exc, settings)
            if better is not None:
                raise better from exc
            note = f"cannot compare the baseline with the database: {type(exc).__name__}: {exc}"
        if note:
            report.notes.append(note)
    return report
