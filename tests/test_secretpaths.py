"""One rule for reading every secret file: the line end goes, everything else is the secret."""

from __future__ import annotations

from pathlib import Path

from prisme_drift.inventory import load_credentials
from prisme_drift.notify.notifier import read_secret_file
from prisme_drift.secretpaths import read_secret

SECRET = "  pass word\twith spaces  "


def test_read_secret_drops_only_the_line_end(tmp_path: Path) -> None:
    for end in ("\n", "\r\n", "\n\n", ""):
        path = tmp_path / "secret"
        path.write_text(SECRET + end, encoding="utf-8")
        assert read_secret(path) == SECRET


def test_device_and_mail_passwords_read_alike(tmp_path: Path) -> None:
    folder = tmp_path / "credentials"
    folder.mkdir(mode=0o700)
    (folder / "sw01").write_text(SECRET + "\r\n", encoding="utf-8")
    (folder / "sw01").chmod(0o600)
    credentials = load_credentials(folder)
    assert credentials is not None
    assert credentials["hosts"]["sw01"]["password"] == SECRET
    assert read_secret_file(folder / "sw01", "SMTP password", "[notify.email] password_file") == (
        SECRET
    )
