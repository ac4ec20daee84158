"""systemd/prisme-drift-web.service: systemd accepts it as it is, it is at least as hardened as
the daemon's unit, it listens on loopback only and gets the database password as a credential."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "prisme-drift-web.service"
INSTALLED = "/opt/prisme-drift/venv/bin/prisme-drift"
# the daemon's unit measures 1.1 ("OK") with systemd 252: the web page must not do worse
DAEMON_EXPOSURE = 1.1

needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)


def settings(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit (continuation lines joined), values per key in order."""
    found: dict[str, list[str]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(" ".join(value.split()))
    return found


def local_copy(folder: Path, text: str | None = None) -> Path:
    """The unit with ExecStart pointing at this virtualenv's prisme-drift: systemd-analyze
    verify refuses a command that does not exist, and /opt/prisme-drift is not installed here."""
    command = Path(sys.executable).parent / "prisme-drift"
    assert command.exists(), command
    copy = folder / UNIT.name
    copy.write_text((text or UNIT.read_text()).replace(INSTALLED, str(command)))
    return copy


def analyze(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_unit_serves_loopback_only_with_the_password_as_a_credential() -> None:
    unit = settings(UNIT.read_text())
    (command,) = unit["ExecStart"]
    assert command.startswith(f"{INSTALLED} web serve ")
    assert re.search(r"--listen 127\.0\.0\.1:\d+( |$)", command)
    assert "--password-file %d/db-password" in command  # %d: $CREDENTIALS_DIRECTORY
    assert unit["LoadCredential"] == ["db-password:/etc/prisme-drift/web/db-password"]
    assert "password" not in " ".join(unit.get("Environment", [])).lower()
    hardening = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "IPAddressDeny": "any",
        "CapabilityBoundingSet": "",
    }
    assert {key: unit[key][-1] for key in hardening} == hardening
    assert unit["User"] == ["prisme-web"]


@needs_systemd
def test_systemd_accepts_the_unit_and_rejects_a_misspelt_one(tmp_path: Path) -> None:
    clean = analyze("verify", local_copy(tmp_path))
    assert (clean.returncode, clean.stdout + clean.stderr) == (0, "")
    misspelt = tmp_path / "misspelt"
    misspelt.mkdir()
    text = UNIT.read_text().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes")
    bad = analyze("verify", local_copy(misspelt, text))
    assert "Unknown key 'NoNewPrivilege'" in bad.stderr  # the check above can fail


@needs_systemd
def test_the_unit_is_at_least_as_hardened_as_the_daemons(tmp_path: Path) -> None:
    result = analyze("security", "--offline=true", local_copy(tmp_path))
    assert result.returncode == 0, result.stderr
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert level is not None, result.stdout[-500:]
    assert float(level.group(1)) <= DAEMON_EXPOSURE, result.stdout
