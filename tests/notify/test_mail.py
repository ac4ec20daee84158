"""The email notifier against real SMTP servers on 127.0.0.1, and what `notify test` says."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from prisme_drift.config import Settings, load_settings
from prisme_drift.errors import ConfigError
from prisme_drift.notify.check import check_channels
from tests.clirun import run_cli
from tests.notify.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer


def settings_for(folder: Path, smtp: str) -> Settings:
    config = folder / "prisme-drift.toml"
    config.write_text('[site]\nname = "cabinet-dupont"\n' + smtp)
    return load_settings(config)


@pytest.mark.parametrize(
    ("security", "exclude", "mechanism"),
    [("starttls", (), "PLAIN"), ("starttls", ("PLAIN",), "LOGIN"), ("tls", ("PLAIN",), "LOGIN")],
)
def test_encrypted_and_authenticated_delivery(
    tmp_path: Path,
    smtp_server: Callable[..., SmtpServer],
    security: str,
    exclude: tuple[str, ...],
    mechanism: str,
) -> None:
    server = smtp_server(security, exclude=exclude)
    (result,) = check_channels(settings_for(tmp_path, server.toml(tmp_path)))
    assert result.ok, result
    (received,) = server.received
    assert received.login == SMTP_USER  # authenticated (AUTH {mechanism})
    assert received.mail_from == "prisme-drift@example.net"
    assert received.rcpt_tos == ["it@example.net"]
    assert received.subject == "[prisme-drift] cabinet-dupont : courriel de test"
    assert "les alertes de prisme-drift arrivent" in received.text
    assert received.html.startswith("<!DOCTYPE html>")
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert SMTP_PASSWORD not in received.everything()


def test_plain_relay_without_authentication(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("none", auth=False)
    (result,) = check_channels(settings_for(tmp_path, server.toml(tmp_path)))
    assert result.ok and server.received[0].login is None


def _diagnose(tmp_path: Path, server: SmtpServer, **changes: str) -> tuple[str, str, str]:
    text = server.toml(tmp_path)
    for old, new in changes.items():
        text = text.replace(old.replace("_", " "), new)
    (result,) = check_channels(settings_for(tmp_path, text))
    assert not result.ok
    assert SMTP_PASSWORD not in result.detail + result.fix
    return result.kind, result.detail, result.fix


def test_connection_refused(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    kind, detail, fix = _diagnose(tmp_path, smtp_server("starttls", start=False))
    assert kind == "connect" and "refused" in detail and "port" in fix


def test_unknown_host(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls", start=False)
    kind, detail, fix = _diagnose(tmp_path, server, **{'"127.0.0.1"': '"smtp.prisme.invalid"'})
    assert kind == "dns" and "smtp.prisme.invalid" in detail and "DNS" in fix


def test_untrusted_certificate(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls")
    text = "\n".join(line for line in server.toml(tmp_path).splitlines() if "ca_file" not in line)
    (result,) = check_channels(settings_for(tmp_path, text + "\n"))
    assert result.kind == "tls" and "not trusted" in result.detail and "ca_file" in result.fix
    assert server.received == []


def test_tls_against_a_starttls_port(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    kind, _detail, fix = _diagnose(tmp_path, server, **{'"starttls"': '"tls"'})
    assert kind == "tls" and "starttls" in fix


def test_starttls_not_offered(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("none", auth=False)
    text = server.toml(tmp_path).replace('"none"', '"starttls"')
    (result,) = check_channels(settings_for(tmp_path, text))
    assert result.kind == "tls" and "STARTTLS" in result.detail and '"tls"' in result.fix


def test_wrong_password(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls")
    text = server.toml(tmp_path)
    (tmp_path / "smtp-password").write_text("not-the-password\n")
    (result,) = check_channels(settings_for(tmp_path, text))
    assert result.kind == "auth" and SMTP_USER in result.detail
    assert "password" in result.fix and "not-the-password" not in result.detail + result.fix


def test_missing_password_file(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls")
    text = server.toml(tmp_path)
    (tmp_path / "smtp-password").unlink()
    (result,) = check_channels(settings_for(tmp_path, text))
    assert result.kind == "config" and "smtp-password" in result.detail
    assert "password_file" in result.fix


def test_relay_requires_authentication(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("starttls")
    text = "\n".join(
        line for line in server.toml(tmp_path).splitlines() if not line.startswith(("user", "pass"))
    )
    (result,) = check_channels(settings_for(tmp_path, text + "\n"))
    assert result.kind == "auth" and "username and password_file" in result.fix


def test_recipient_refused(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls")
    server.sink.refuse.add("it@example.net")
    kind, detail, fix = _diagnose(tmp_path, server)
    assert kind == "recipient" and "it@example.net: 550" in detail and "[smtp] to" in fix


def test_password_never_in_settings_errors(tmp_path: Path) -> None:
    config = tmp_path / "prisme-drift.toml"
    config.write_text(
        '[site]\nname = "s"\n[smtp]\nhost = "h"\nfrom = "a@b.c"\nto = ["d@e.f"]\n'
        f'username = "u"\npassword = "{SMTP_PASSWORD}"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert "password_file" in str(info.value)
    assert SMTP_PASSWORD not in str(info.value) and info.value.__cause__ is None


def test_authentication_over_plain_smtp_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "prisme-drift.toml"
    config.write_text(
        '[site]\nname = "s"\n[smtp]\nhost = "h"\nsecurity = "none"\nfrom = "a@b.c"\n'
        'to = ["d@e.f"]\nusername = "u"\npassword_file = "p"\n'
    )
    with pytest.raises(ConfigError, match="in clear"):
        load_settings(config)


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("-c", str(config), *args)


def test_notify_test_command(tmp_path: Path, smtp_server: Callable[..., SmtpServer]) -> None:
    server = smtp_server("starttls")
    settings_for(tmp_path, server.toml(tmp_path))
    ok = _cli(tmp_path / "prisme-drift.toml", "notify", "test")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "email: OK" in ok.stdout and len(server.received) == 1
    server.stop()
    down = _cli(tmp_path / "prisme-drift.toml", "notify", "test")
    assert down.returncode == 7
    assert "email: FAILED (connect)" in down.stdout and "fix:" in down.stdout
    assert SMTP_PASSWORD not in down.stdout + down.stderr
    bare = tmp_path / "bare"
    bare.mkdir()
    settings_for(bare, "")
    none = _cli(bare / "prisme-drift.toml", "notify", "test")
    assert none.returncode == 2 and "[smtp]" in none.stderr
