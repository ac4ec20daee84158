"""Git baseline repository (GitPython), readable with plain git.

Two branches: ``observed`` (every distinct normalized state ever fetched, one commit per poll that
changed something) and ``approved`` (what IT validated; moves forward with a ticket or an
acceptance). Commits are built with plumbing on a private index file and published with a
compare-and-swap ``update-ref``, so a crash at any point leaves both branches where they were.
The repository is bare: nobody edits a work tree by mistake, and ``git show observed:site/x.cfg``
or a clone reads everything.

Reads are batched: the first read of a branch lists the site's files on it once (``git ls-tree``,
path -> blob) and reads all their blobs with one ``git cat-file --batch`` (observed and approved
share most blobs: each is read and held once).
Walking the tree per device parsed the site's whole tree again for each read, a poll quadratic
in the number of devices. A BaselineRepo sees each branch (its tip and files) as it was at its
first read, plus its own commits: writers hold the site lock, so nothing else moves the
branches under a poll.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from git import Repo
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from prisme_drift.errors import BaselineError
from prisme_drift.models import Snapshot

log = logging.getLogger(__name__)

OBSERVED = "observed"
APPROVED = "approved"
BRANCHES = (OBSERVED, APPROVED)
ZERO = "0" * 40
STATE_SUFFIX = ".state.json"


def device_paths(site: str, device: str) -> tuple[str, str]:
    """Paths of a device's configuration and facts inside the repository."""
    return f"{site}/{device}.cfg", f"{site}/{device}.facts.json"


def blob_id(text: str) -> str:
    """The id git gives ``text`` stored as a blob (``git hash-object``), computed here."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def state_path(site: str, device: str) -> str:
    """Path of a device's structured state (canonical JSON) inside the repository."""
    return f"{site}/{device}{STATE_SUFFIX}"


class BaselineRepo:
    """One site's baseline repository. Use as a context manager: the Repo is always closed."""

    def __init__(self, path: Path, site: str) -> None:
        self.path = path
        self.site = site
        self._repo: Repo | None = None
        self._files: dict[str, dict[str, str]] = {}  # branch -> path -> blob, filled on demand
        self._blobs: dict[str, bytes] = {}  # blob -> content, of the branches read so far
        self._heads: dict[str, str | None] = {}  # branch -> tip, as first read or committed

    # -- life cycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path) -> None:
        """Create the bare repository with durable settings, if it does not exist yet."""
        if (path / "HEAD").exists():
            return
        path.mkdir(parents=True, exist_ok=True)
        repo = Repo.init(path, bare=True, initial_branch=OBSERVED)
        try:
            with repo.config_writer() as cfg:
                cfg.set_value("core", "fsync", "committed")
                cfg.set_value("core", "fsyncMethod", "fsync")
                cfg.set_value("gc", "auto", "0")  # gc runs in the maintenance job, not mid-poll
                cfg.set_value("receive", "denyNonFastForwards", "true")
        finally:
            repo.close()

    def __enter__(self) -> BaselineRepo:
        self.create(self.path)
        try:
            self._repo = Repo(self.path)
        except (InvalidGitRepositoryError, NoSuchPathError) as exc:
            raise BaselineError(
                f"{self.path} is not a git repository; move it aside and let prisme-drift "
                "create a new one, or point [baseline] path to the right folder",
                site=self.site,
            ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the Repo and its ``git cat-file`` helpers (GitPython leaks them otherwise)."""
        if self._repo is not None:
            self._repo.close()
            self._repo = None
        self._files.clear()
        self._blobs.clear()
        self._heads.clear()

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            raise BaselineError("baseline repository used outside 'with'", site=self.site)
        return self._repo

    # -- reading ----------------------------------------------------------------------------
    def head(self, branch: str) -> str | None:
        """The commit a branch points to, or None before its first commit: read once (one
        ``git rev-parse``), then moved by this object's own commits only."""
        if branch not in self._heads:
            try:
                tip = self.repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{branch}")
                self._heads[branch] = str(tip)
            except GitCommandError:
                self._heads[branch] = None
        return self._heads[branch]

    def _branch_files(self, branch: str) -> dict[str, str]:
        """The site's files on a branch, path -> blob id ({} before the branch's first commit)."""
        files = self._files.get(branch)
        if files is None:
            files = {}
            tip = self.head(branch)
            if tip is not None:
                out = str(
                    self.repo.git.ls_tree("-r", "-z", "--full-tree", tip, "--", f"{self.site}/")
                )
                for record in out.split("\0"):
                    meta, _, path = record.partition("\t")
                    if path and meta.split()[1] == "blob":
                        files[path] = meta.split()[2]
            self._files[branch] = files
            self._read_blobs([b for b in files.values() if b not in self._blobs])
        return files

    def _read_blobs(self, blobs: list[str]) -> None:
        """Read many blobs with one ``git cat-file --batch``."""
        if not blobs:
            return
        command = ["git", "--git-dir", str(self.repo.git_dir), "cat-file", "--batch"]
        out = subprocess.run(  # noqa: S603 - fixed git command line, no shell
            command,
            input="".join(f"{b}\n" for b in blobs).encode("ascii"),
            capture_output=True,
            check=False,
        )
        if out.returncode != 0:
            raise BaselineError(
                f"git cat-file failed in {self.path}: {out.stderr.decode(errors='replace')}",
                site=self.site,
            )
        data, at = out.stdout, 0
        while at < len(data):
            end = data.index(b"\n", at)
            header = data[at:end].split()
            at = end + 1
            if len(header) != 3:  # "<id> missing": left to the single read, which says so
                continue
            size = int(header[2])
            self._blobs[header[0].decode("ascii")] = data[at : at + size]
            at += size + 1

    def _blob_text(self, blob: str) -> str:
        data = self._blobs.get(blob)
        if data is None:
            data = self.repo.git.get_object_data(blob)[3]  # the persistent cat-file --batch
        return bytes(data).decode("utf-8")

    def read_file(self, rev: str, path: str) -> str | None:
        """A file's text at a revision (a branch name or a commit), or None where it does not
        exist."""
        if rev in BRANCHES and path.startswith(f"{self.site}/"):
            blob = self._branch_files(rev).get(path)
            return None if blob is None else self._blob_text(blob)
        try:
            blob = self.repo.commit(rev).tree / path
        except (KeyError, ValueError, GitCommandError):
            return None
        data: bytes = blob.data_stream.read()
        return data.decode("utf-8")

    def read(self, branch: str, device: str, platform: str) -> Snapshot | None:
        """A device's snapshot on a branch, or None if that branch has none."""
        cfg_path, facts_path = device_paths(self.site, device)
        config = self.read_file(branch, cfg_path)
        if config is None:
            return None
        facts_text = self.read_file(branch, facts_path)
        facts: dict[str, Any] = json.loads(facts_text) if facts_text else {}
        return Snapshot(device=device, platform=platform, config=config, facts=facts)

    def config_blob(self, branch: str, device: str) -> str | None:
        """The blob id of a device's configuration on a branch (None: it has none there)."""
        return self._branch_files(branch).get(device_paths(self.site, device)[0])

    def read_state(self, rev: str, device: str) -> str | None:
        """A device's structured state (JSON text) at a branch or commit, or None if none."""
        return self.read_file(rev, state_path(self.site, device))

    def state_devices(self, branch: str) -> list[str]:
        """The devices that have a structured state on a branch, sorted."""
        names = [path.rsplit("/", 1)[-1] for path in self._branch_files(branch)]
        return sorted(n[: -len(STATE_SUFFIX)] for n in names if n.endswith(STATE_SUFFIX))

    def log(self, branch: str, device: str | None = None, limit: int = 20) -> list[dict[str, str]]:
        """Recent commits of a branch (optionally touching one device), newest first."""
        if self.head(branch) is None:
            return []
        args = [f"refs/heads/{branch}", f"-n{limit}", "--format=%H%x1f%aI%x1f%s"]
        if device:
            args += ["--", *device_paths(self.site, device)]
        out = self.repo.git.log(*args)
        rows = []
        for line in out.splitlines():
            sha, date, subject = line.split("\x1f", 2)
            rows.append({"commit": sha, "date": date, "subject": subject})
        return rows

    # -- writing ----------------------------------------------------------------------------
    @contextmanager
    def _private_index(self) -> Iterator[dict[str, str]]:
        index = Path(self.repo.git_dir) / f"prisme-index.{os.getpid()}"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            yield env
        finally:
            index.unlink(missing_ok=True)

    def commit(
        self,
        branch: str,
        snapshots: Mapping[str, Snapshot],
        message: str,
        when: datetime,
        trailers: Mapping[str, str] | None = None,
    ) -> str | None:
        """Write the snapshots on ``branch`` in one commit; None (no commit) if nothing changed."""
        parent = self.head(branch)
        git = self.repo.git
        with self._private_index() as env:
            if parent:
                git.read_tree(parent, env=env)
            else:
                git.read_tree("--empty", env=env)
            files: dict[str, str] = {}
            for device, snap in sorted(snapshots.items()):
                cfg_path, facts_path = device_paths(self.site, device)
                files[cfg_path] = snap.config
                files[facts_path] = snap.facts_json()
                if snap.state is not None:  # None: keep the state already committed, if any
                    files[state_path(self.site, device)] = snap.state
            blobs = dict(zip(files, self._hash_blobs(list(files.values())), strict=True))
            for path, blob in blobs.items():
                git.update_index("--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = git.write_tree(env=env)
        if parent and tree == git.rev_parse(f"{parent}^{{tree}}"):
            return None
        body = message
        if trailers:
            body += "\n\n" + "\n".join(f"{k}: {v}" for k, v in trailers.items())
        stamp = when.isoformat()
        identity = {
            "GIT_AUTHOR_NAME": "prisme-drift",
            "GIT_AUTHOR_EMAIL": f"prisme-drift@{self.site}",
            "GIT_COMMITTER_NAME": "prisme-drift",
            "GIT_COMMITTER_EMAIL": f"prisme-drift@{self.site}",
            "GIT_AUTHOR_DATE": stamp,
            "GIT_COMMITTER_DATE": stamp,
        }
        args = [tree, "-m", body] + (["-p", parent] if parent else [])
        new = str(git.commit_tree(*args, env=identity))
        try:
            git.update_ref(f"refs/heads/{branch}", new, parent or ZERO)
        except GitCommandError as exc:
            self._heads.pop(branch, None)  # read it again: it moved
            raise BaselineError(
                f"branch {branch} moved while committing (another writer?): {exc.stderr.strip()}",
                site=self.site,
            ) from exc
        self._heads[branch] = new
        if branch in self._files:  # the new tip is the old one plus these files
            self._files[branch].update(blobs)
            self._blobs.update({blobs[p]: text.encode("utf-8") for p, text in files.items()})
        log.info("[%s] %s: commit %s (%s)", self.site, branch, new[:10], message.splitlines()[0])
        return new

    def _hash_blobs(self, texts: list[str]) -> list[str]:
        """Store blobs through git itself, so ``core.fsync=committed`` makes them durable."""
        with tempfile.TemporaryDirectory(dir=self.repo.git_dir, prefix="prisme-blobs.") as tmp:
            paths = []
            for number, text in enumerate(texts):
                path = Path(tmp) / str(number)
                path.write_bytes(text.encode("utf-8"))
                paths.append(str(path))
            out = str(self.repo.git.hash_object("-w", "--no-filters", "--", *paths))
        return out.split()

    def diff(self, device: str, old: str = APPROVED, new: str = OBSERVED) -> str:
        """Unified diff of a device's files between two revisions (approved vs observed)."""
        if self.head(old) is None or self.head(new) is None:
            return ""
        return str(
            self.repo.git.diff(
                f"refs/heads/{old}", f"refs/heads/{new}", "--", *device_paths(self.site, device)
            )
        )
