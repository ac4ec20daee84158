"""A device's configuration history, read from its site's repository on the provider's git server.

Each site pushes ``observed`` and ``approved`` to its own bare repository
(:mod:`prisme_drift.fleet.gitsync`); the web host reads them under one folder,
``<git_root>/<site>.git``. Read only: nothing here writes to a repository. The baseline never holds
a secret (values are fingerprints before anything is committed), so the texts and diffs are shown
as stored, and passed through the process's scrubber all the same.

Every GitPython Repo is closed (:class:`SiteHistory` is a context manager: GitPython leaks its
``git cat-file`` helpers otherwise), every git command has a time limit, and a diff is cut at
:data:`MAX_DIFF_LINES` lines with the number of lines left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from git import Repo
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from prisme_drift.baseline.store import BRANCHES, OBSERVED, device_paths
from prisme_drift.errors import BaselineError, RefusedError
from prisme_drift.scrub import scrub
from prisme_drift.timefmt import parse_iso

#: A site name as ``[site] name`` allows it: nothing that could leave ``git_root``.
SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: A device name as the inventory may spell it, one path component of the repository
#: (``<site>/<device>.cfg``): no ``/``, no control character, not ``.`` or ``..``. Git reads it
#: as a literal path (``GIT_LITERAL_PATHSPECS``): no glob, no pathspec magic.
DEVICE_NAME = re.compile(r"^(?!\.\.?$)[^/\x00-\x1f\x7f]{1,255}$")
#: A commit named by the web page (a history entry): hexadecimal, abbreviated or whole.
COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
#: Lines of a diff shown at most; the rest is counted, not shown.
MAX_DIFF_LINES = 4000
#: Seconds any one git command may take before it is killed.
GIT_TIMEOUT = 30
_FIELD, _RECORD = "\x1f", "\x1e"


@dataclass(frozen=True)
class Revision:
    """One commit of a device's history: on which branches, when, and its message (the first
    commit of ``approved`` is often the very commit of ``observed``: both are named)."""

    commit: str
    branches: tuple[str, ...]  # observed, approved or both
    at: datetime
    message: str

    @property
    def subject(self) -> str:
        """The message's first line."""
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class HistoryPage:
    """A page of a device's history, newest first; ``more`` when an older page follows."""

    revisions: tuple[Revision, ...]
    page: int
    per_page: int
    more: bool


@dataclass(frozen=True)
class FileVersion:
    """A device's configuration as of a commit."""

    commit: str
    at: datetime
    text: str


@dataclass(frozen=True)
class DeviceDiff:
    """A unified diff between two commits; ``dropped`` lines past the cap are not in ``lines``."""

    old: str
    new: str
    lines: tuple[str, ...]
    dropped: int = 0
    old_at: datetime | None = None  # the commits' times
    new_at: datetime | None = None

    @property
    def text(self) -> str:
        """The diff as text, with a last line saying how much was cut, if anything was."""
        tail = [f"[diff truncated: {self.dropped} more lines not shown]"] if self.dropped else []
        return "\n".join([*self.lines, *tail])


def repository_path(git_root: Path, site: str) -> Path:
    """``<git_root>/<site>.git``; RefusedError for a name that is not a site name or a path that
    would leave ``git_root``."""
    if not SITE_NAME.fullmatch(site):
        raise RefusedError(
            f"{site!r} is not a site name (lower-case letters, digits, '.', '_' or '-')"
        )
    root = git_root.resolve()
    path = (root / f"{site}.git").resolve()
    if path.parent != root:
        raise RefusedError(f"the repository of site {site} is not directly under {git_root}")
    return path


def _check_device(device: str) -> None:
    if not DEVICE_NAME.fullmatch(device):
        raise RefusedError(f"{device!r} is not a device name")


def _check_branches(*branches: str) -> None:
    unknown = [b for b in branches if b not in BRANCHES]
    if unknown:
        raise RefusedError(f"{unknown[0]!r} is not a baseline branch ({', '.join(BRANCHES)})")


def _utc_stamp(when: datetime) -> str:
    """A time as git's ``--before`` reads it unambiguously (seconds, UTC offset)."""
    if when.tzinfo is None:
        raise ValueError("a history time must carry its time zone")
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


_FORMAT = f"--format=%H{_FIELD}%cI{_FIELD}%B{_RECORD}"


def _parse_log(out: str, members: dict[str, set[str]]) -> list[Revision]:
    """``git log`` records as revisions; ``members``: branch -> the commits it reaches."""
    revisions = []
    for raw in out.split(_RECORD):
        record = raw.strip("\n")
        if not record:
            continue
        sha, date, message = record.split(_FIELD, 2)
        at = parse_iso(date)
        assert at is not None
        branches = tuple(b for b in BRANCHES if sha in members.get(b, ()))
        revisions.append(Revision(sha, branches, at, scrub(message.strip())))
    return revisions


class SiteHistory:
    """A site's bare repository under ``git_root``, read only. Use as a context manager."""

    def __init__(self, git_root: Path, site: str) -> None:
        self.site = site
        self.path = repository_path(git_root, site)
        self._repo: Repo | None = None

    def __enter__(self) -> SiteHistory:
        try:
            self._repo = Repo(self.path)
        except (InvalidGitRepositoryError, NoSuchPathError):
            raise BaselineError(
                f"{self.path} is not a git repository: site {self.site} has not pushed its "
                "baseline yet ([fleet] git_remote on the site, then 'prisme-drift fleet sync'), "
                "or the web page's git root is not the folder of the sites' repositories",
                site=self.site,
            ) from None
        self._repo.git.update_environment(GIT_LITERAL_PATHSPECS="1")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def _git(self, *args: str) -> str:
        if self._repo is None:
            raise BaselineError("site history used outside 'with'", site=self.site)
        try:
            out: str = self._repo.git.execute(
                ["git", *args], kill_after_timeout=GIT_TIMEOUT, strip_newline_in_stdout=False
            )
        except GitCommandError as exc:
            raise BaselineError(
                f"git {args[0]} failed in {self.path}: {scrub(str(exc.stderr).strip())}",
                site=self.site,
            ) from None
        return out

    def heads(self, branches: tuple[str, ...] = BRANCHES) -> list[str]:
        """The refs of the given branches that exist in the repository."""
        _check_branches(*branches)
        out = self._git(
            "for-each-ref", "--format=%(refname)", *(f"refs/heads/{b}" for b in branches)
        )
        return [line for line in out.splitlines() if line]

    def revisions(
        self,
        device: str,
        *,
        branches: tuple[str, ...] = BRANCHES,
        page: int = 1,
        per_page: int = 50,
    ) -> HistoryPage:
        """The commits of ``branches`` touching the device's files, newest first, one page."""
        _check_device(device)
        page, per_page = max(1, page), max(1, min(per_page, 500))
        refs = self.heads(branches)
        if not refs:
            return HistoryPage((), page, per_page, more=False)
        paths = device_paths(self.site, device)
        members = {  # commit ids only: a year of hourly changes is 8,760 short lines
            ref.removeprefix("refs/heads/"): set(self._git("rev-list", ref, "--", *paths).split())
            for ref in refs
        }
        out = self._git(
            "log",
            _FORMAT,
            f"--skip={(page - 1) * per_page}",
            f"--max-count={per_page + 1}",
            *refs,
            "--",
            *paths,
        )
        found = _parse_log(out, members)
        return HistoryPage(tuple(found[:per_page]), page, per_page, len(found) > per_page)

    def commit_at(self, device: str, when: datetime, branch: str = OBSERVED) -> Revision | None:
        """The last commit of ``branch`` at or before ``when`` that touched the device's files
        (the device was as that commit left it), None before the first."""
        _check_device(device)
        if f"refs/heads/{branch}" not in self.heads((branch,)):
            return None
        out = self._git(
            "log", _FORMAT, "--max-count=1", f"--before={_utc_stamp(when)}",
            f"refs/heads/{branch}", "--", *device_paths(self.site, device),
        )  # fmt: skip
        found = _parse_log(out, {})
        return replace(found[0], branches=(branch,)) if found else None

    def text_at(self, device: str, when: datetime, branch: str = OBSERVED) -> FileVersion | None:
        """The device's configuration as of ``when`` on ``branch`` (the last commit at or before
        it); None when the branch or the device had none yet."""
        revision = self.commit_at(device, when, branch)
        if revision is None:
            return None
        text = self._show(revision.commit, device_paths(self.site, device)[0])
        return None if text is None else FileVersion(revision.commit, revision.at, text)

    def _show(self, commit: str, path: str) -> str | None:
        present = self._git("ls-tree", "--name-only", commit, "--", path).strip()
        return scrub(self._git("show", f"{commit}:{path}")) if present else None

    def resolve(self, device: str, point: datetime | str, branch: str = OBSERVED) -> str | None:
        """A time (the device's last commit on ``branch`` at or before it) or a commit of the
        repository, as a whole commit id; None for a time before the device's first commit.
        RefusedError for a commit that is not one of the repository's."""
        if isinstance(point, datetime):
            revision = self.commit_at(device, point, branch)
            return None if revision is None else revision.commit
        if not COMMIT.fullmatch(point):
            raise RefusedError(f"{point!r} is not a commit id")
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{point}^{{commit}}").strip()
        except BaselineError:
            raise RefusedError(f"no commit {point} in the history of site {self.site}") from None

    def diff(
        self,
        device: str,
        old: datetime | str,
        new: datetime | str,
        *,
        branch: str = OBSERVED,
        max_lines: int = MAX_DIFF_LINES,
    ) -> DeviceDiff | None:
        """The unified diff of the device's configuration and facts between two times or commits
        (times on ``branch``); None when either side is before the branch's first commit."""
        _check_device(device)
        before, after = self.resolve(device, old, branch), self.resolve(device, new, branch)
        if before is None or after is None:
            return None
        out = self._git(
            "diff", "--no-color", "--no-ext-diff", "--no-renames", before, after,
            "--", *device_paths(self.site, device),
        )  # fmt: skip
        lines = scrub(out).splitlines()
        times = self._times(before, after)
        return DeviceDiff(
            before,
            after,
            tuple(lines[:max_lines]),
            max(0, len(lines) - max_lines),
            times.get(before),
            times.get(after),
        )

    def _times(self, *commits: str) -> dict[str, datetime]:
        """Each commit's time."""
        out = self._git("log", "--no-walk=unsorted", f"--format=%H{_FIELD}%cI", *commits)
        found = (line.split(_FIELD) for line in out.splitlines() if _FIELD in line)
        return {sha: at for sha, text in found if (at := parse_iso(text)) is not None}
