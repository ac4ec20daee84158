"""Push the site's git baseline (``observed`` and ``approved``) to its repository on the provider's
git server: fast-forward only, one outcome per branch, a hard timeout.

Never a force: the refspecs carry no ``+`` and no ``--force`` is ever passed, so a remote that
diverged (someone else wrote to it) rejects the push and the rejection becomes an alert
(:mod:`prisme_drift.fleet.pushalert`), never an overwrite. Plain ``git push`` subprocesses in
their own process group (:func:`~prisme_drift.baseline.gitproc.run_git`): no GitPython Repo to
leak, and a hung transport is killed with its ssh or https helper.

How the server is reached (docs/fleet.md, *Git server*):

- ``ssh://`` or ``user@host:path``: the site's deploy key (``-i KEY``, ``IdentitiesOnly``), no
  agent, no ssh config file, the server's host key checked strictly against a known_hosts file
  IT writes (by default the key's path plus ``.known_hosts``);
- ``https://``: a token read from a file and handed to git by a credential helper through a
  pipe: never on a command line, never in a URL, never in ``.git/config`` (nothing is written
  there: the remote is passed on the command line, without credentials), never in a message;
- ``file://`` or a path: neither (tests, a server mounted locally).
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from prisme_drift.baseline.gitproc import MaintenanceError, run_git
from prisme_drift.baseline.store import BRANCHES
from prisme_drift.errors import BaselineError, ConfigError, OperationalError
from prisme_drift.scrub import MASK, remember, scrub
from prisme_drift.secretpaths import read_secret

log = logging.getLogger(__name__)

#: The user name given with the token when ``git_remote`` names none (servers check the token).
GIT_USER = "prisme-drift"
#: The environment variable that tells the credential helper where the token file is.
TOKEN_FILE_VAR = "PRISME_DRIFT_GIT_TOKEN_FILE"  # noqa: S105 - a variable name
#: Answers git's ``get`` with the token file's content (its trailing line ends dropped by ``$()``).
_CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || exit 0; echo "username=$PRISME_DRIFT_GIT_USER"; '
    'printf "password=%s\\n" "$(cat "$PRISME_DRIFT_GIT_TOKEN_FILE")"; }; f'
)
#: A ``git push --porcelain`` ref line: flag, local ref, remote ref, summary.
_PORCELAIN = re.compile(r"^([ +\-*!=])\t([^:\t]+):([^\t]+)\t(.*)$")
#: A line of git's or ssh's output that says why it failed.
_ERROR = re.compile(r"failed|denied|refused|timed out|could not|unable", re.IGNORECASE)


class PushOutcome(StrEnum):
    """What happened to one branch."""

    PUSHED = "pushed"
    UP_TO_DATE = "up_to_date"
    REJECTED = "rejected"  # the remote diverged: not a fast-forward, never forced
    FAILED = "failed"
    ABSENT = "absent"  # no local commit on this branch yet: nothing to push


@dataclass(frozen=True)
class BranchPush:
    """One branch's outcome; ``remote_head`` is the remote's commit when the push was rejected."""

    branch: str
    outcome: PushOutcome
    local_head: str | None = None
    remote_head: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class GitPushResult:
    """Every branch's outcome, and the remote as it may be shown (credentials masked)."""

    remote: str
    branches: tuple[BranchPush, ...]

    @property
    def rejected(self) -> tuple[BranchPush, ...]:
        return tuple(b for b in self.branches if b.outcome is PushOutcome.REJECTED)

    @property
    def failed(self) -> tuple[BranchPush, ...]:
        return tuple(b for b in self.branches if b.outcome is PushOutcome.FAILED)

    def summary(self) -> str:
        """``observed pushed, approved rejected (remote diverged)`` and the like, on one line."""
        parts = [
            f"{b.branch} {b.outcome}" + (f" ({b.reason})" if b.reason else "")
            for b in self.branches
        ]
        return f"{self.remote}: " + ", ".join(parts)

    def raise_for_failure(self) -> None:
        """OperationalError naming each branch that failed for another reason than a divergence
        (a divergence is an alert: :func:`prisme_drift.fleet.pushalert.record_push_result`)."""
        if self.failed:
            why = "; ".join(f"{b.branch}: {b.reason}" for b in self.failed)
            raise OperationalError(f"git push to {self.remote} failed: {why}")


@dataclass(frozen=True)
class _Transport:
    """How git reaches the remote: extra environment, and the secrets to mask in its output."""

    env: dict[str, str]
    secrets: tuple[str, ...] = ()


def display_remote(remote: str) -> str:
    """The remote as it may be shown: a password in its URL replaced by ``***``."""
    parts = urlsplit(remote)
    if "://" not in remote or parts.password is None:
        return remote
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{parts.username}:{MASK}@{host}" if parts.username else f"{MASK}@{host}"
    return parts._replace(netloc=netloc).geturl()


def _scheme(remote: str) -> str:
    """``https``, ``ssh`` or ``file`` (a path, or scp-like ``user@host:path`` is ``ssh``)."""
    if "://" in remote:
        scheme = remote.split("://", 1)[0].lower()
        return "https" if scheme in ("http", "https") else scheme
    head = remote.split("/", 1)[0]
    return "ssh" if ":" in head else "file"


def _ssh_transport(
    remote: str, key: Path | None, known_hosts: Path | None, timeout: float
) -> _Transport:
    if key is None:
        raise ConfigError(
            f"[fleet] git_remote {remote} is reached over SSH but [fleet] git_ssh_key_file is not "
            "set; give the site's deploy key (docs/fleet.md#git-server)"
        )
    hosts = known_hosts or key.with_name(key.name + ".known_hosts")
    for path, what in ((key, "[fleet] git_ssh_key_file"), (hosts, "the git server's known_hosts")):
        if not path.is_file():
            raise ConfigError(
                f"{what} {path} does not exist; create it as docs/fleet.md#git-server says"
            )
    options = {
        "IdentitiesOnly": "yes",
        "IdentityAgent": "none",
        "BatchMode": "yes",
        "StrictHostKeyChecking": "yes",
        "UserKnownHostsFile": str(hosts),
        "GlobalKnownHostsFile": "none",
        "UpdateHostKeys": "no",
        # half the push's time: a silent server gets ssh's own error rather than a kill
        "ConnectTimeout": str(max(1, int(timeout / 2))),
    }
    words = ["ssh", "-F", "none", "-i", str(key)]
    for name, value in options.items():
        words += ["-o", f"{name}={value}"]
    return _Transport({"GIT_SSH_COMMAND": shlex.join(words)})


def _https_transport(remote: str, token_file: Path | None) -> _Transport:
    parts = urlsplit(remote)
    if parts.password is not None:
        raise ConfigError(
            f"[fleet] git_remote {display_remote(remote)} holds a password: remove it from the "
            "URL and put the token alone in the file named by [fleet] git_token_file"
        )
    # an empty helper first drops every helper of the user's or system's git config, so that
    # no "store" or "cache" helper ever keeps a copy of the token
    config = [("credential.helper", "")]
    env: dict[str, str] = {}
    secrets: tuple[str, ...] = ()
    if token_file is not None:
        try:
            token = read_secret(token_file)
        except OSError as exc:
            raise ConfigError(
                f"[fleet] git_token_file {token_file} cannot be read ({exc.strerror}); "
                "give the file holding the git server's token for this site"
            ) from None
        remember(token)
        secrets = (token,)
        config.append(("credential.helper", _CREDENTIAL_HELPER))
        env |= {
            TOKEN_FILE_VAR: str(token_file),
            "PRISME_DRIFT_GIT_USER": parts.username or GIT_USER,
        }
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for number, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{number}"] = key
        env[f"GIT_CONFIG_VALUE_{number}"] = value
    return _Transport(env, secrets)


def _transport(
    remote: str,
    ssh_key_file: Path | None,
    token_file: Path | None,
    known_hosts: Path | None,
    timeout: float,
) -> _Transport:
    """The environment for this remote's scheme; ConfigError for a key of the wrong kind."""
    scheme = _scheme(remote)
    if scheme == "https":
        if ssh_key_file is not None:
            raise ConfigError(_wrong_kind("git_ssh_key_file", remote, "an ssh:// remote"))
        return _https_transport(remote, token_file)
    if token_file is not None:
        raise ConfigError(_wrong_kind("git_token_file", remote, "an https:// remote"))
    if scheme == "ssh":
        return _ssh_transport(remote, ssh_key_file, known_hosts, timeout)
    if scheme == "file":
        if ssh_key_file is not None:
            raise ConfigError(_wrong_kind("git_ssh_key_file", remote, "an ssh:// remote"))
        return _Transport({})
    raise ConfigError(
        f"[fleet] git_remote {display_remote(remote)}: scheme {scheme!r} is not supported; "
        "use ssh://, user@host:path or https://"
    )


def _wrong_kind(key: str, remote: str, needs: str) -> str:
    return (
        f"[fleet] {key} is only for {needs}, and git_remote is {display_remote(remote)}; remove one"
    )


def _local_heads(repo_path: Path) -> dict[str, str | None]:
    """Each baseline branch's commit, None before its first commit."""
    if not (repo_path / "HEAD").is_file():
        raise BaselineError(f"{repo_path} is not a git repository: nothing to push to the fleet")
    heads: dict[str, str | None] = {}
    for branch in BRANCHES:
        result = run_git(
            repo_path, ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], timeout=60
        )
        heads[branch] = result.output.strip() if result.ok else None
    return heads


def _outcome(flag: str, summary: str) -> tuple[PushOutcome, str]:
    if flag == "=":
        return PushOutcome.UP_TO_DATE, ""
    if flag == "!" and summary.startswith("[rejected]"):
        return PushOutcome.REJECTED, "remote diverged: " + summary.removeprefix("[rejected]").strip(
            " ()"
        )
    if flag == "!":
        return PushOutcome.FAILED, summary
    return PushOutcome.PUSHED, ""


def _parse_push(output: str) -> dict[str, tuple[PushOutcome, str]]:
    """Outcome and reason per branch, from ``git push --porcelain`` output."""
    found: dict[str, tuple[PushOutcome, str]] = {}
    for line in output.splitlines():
        match = _PORCELAIN.match(line)
        if match:
            flag, _, target, summary = match.groups()
            found[target.removeprefix("refs/heads/")] = _outcome(flag, summary.strip())
    return found


class _Git:
    """git commands against one remote, sharing one deadline; output scrubbed of the secrets."""

    def __init__(self, repo_path: Path, remote: str, transport: _Transport, timeout: float) -> None:
        self.repo_path, self.remote, self.transport = repo_path, remote, transport
        self.shown = display_remote(remote)
        self.timeout = timeout

    def run(self, args: list[str]) -> tuple[bool, str]:
        try:
            env = {"GIT_TERMINAL_PROMPT": "0", **self.transport.env}
            result = run_git(self.repo_path, args, timeout=self.timeout, env=env)
        except MaintenanceError:
            raise OperationalError(
                f"git {args[0]} to {self.shown} timed out after {self.timeout:g} s and was "
                "stopped; check the network, the git server and [fleet] git_remote"
            ) from None
        return result.ok, scrub(result.output, self.transport.secrets).replace(
            self.remote, self.shown
        )

    def remote_heads(self) -> dict[str, str]:
        """The remote's baseline branches (``git ls-remote``); empty when it cannot be read."""
        ok, out = self.run(["ls-remote", self.remote, *(f"refs/heads/{b}" for b in BRANCHES)])
        heads = (line.split("\t", 1) for line in out.splitlines() if "\trefs/heads/" in line)
        return {ref.removeprefix("refs/heads/"): sha for sha, ref in heads} if ok else {}


def _summary(output: str) -> str:
    """git's reason in a few lines: its errors first, without ssh's banners or git's hints."""
    lines = [line.strip() for line in output.splitlines() if line.strip() and "\t" not in line]
    kept = [line for line in lines if not line.startswith(("@", "hint:", "To ", "Done"))]
    errors = [line for line in kept if line.startswith(("fatal:", "error:")) or _ERROR.search(line)]
    return "; ".join((errors or kept)[:3]) or "git push failed without a message"


def push_baseline(
    repo_path: Path,
    remote: str,
    *,
    ssh_key_file: Path | None,
    token_file: Path | None,
    timeout: float,
    known_hosts: Path | None = None,
) -> GitPushResult:
    """Push ``observed`` and ``approved`` to ``remote``, fast-forward only, within ``timeout``.

    ConfigError for bad settings (nothing run), OperationalError when git hangs past the
    timeout (it is killed); every other outcome is per branch in the result."""
    transport = _transport(remote, ssh_key_file, token_file, known_hosts, timeout)
    heads = _local_heads(repo_path)
    git = _Git(repo_path, remote, transport, timeout)
    present = [b for b in BRANCHES if heads[b]]
    outcomes: dict[str, tuple[PushOutcome, str]] = {}
    if present:
        refspecs = [f"refs/heads/{b}:refs/heads/{b}" for b in present]  # no "+": never forced
        _, out = git.run(["push", "--porcelain", "--no-verify", remote, *refspecs])
        outcomes = _parse_push(out)
        for branch in present:
            outcomes.setdefault(branch, (PushOutcome.FAILED, _summary(out)))
    remote_heads = (
        git.remote_heads() if any(o is PushOutcome.REJECTED for o, _ in outcomes.values()) else {}
    )
    branches = []
    for branch in BRANCHES:
        outcome, reason = outcomes.get(branch) or (PushOutcome.ABSENT, "no local commit yet")
        branches.append(
            BranchPush(branch, outcome, heads[branch], remote_heads.get(branch), reason)
        )
    result = GitPushResult(git.shown, tuple(branches))
    log.info("fleet git push %s", result.summary())
    return result
