"""Settings loading: discovery order, relative paths, every error reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisme_drift.config import ENV_VAR, find_config, load_settings
from prisme_drift.errors import ConfigError
from prisme_drift.settings_file import render_default


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prisme-drift.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_file_loads_and_resolves_paths_from_its_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, render_default("cabinet-dupont", "Cabinet Dupont")))
    assert settings.site.name == "cabinet-dupont"
    assert settings.site.timezone == "Indian/Reunion"
    assert settings.baseline_path == (tmp_path / "baselines").resolve()
    assert settings.inventory_path == (tmp_path / "inventory").resolve()
    assert (
        settings.database_url
        == f"sqlite:///{(tmp_path / 'state' / 'prisme-drift.sqlite').resolve()}"
    )
    assert settings.collect.workers == 10 and settings.collect.timeout == 120


def test_every_problem_is_reported_at_once_with_file_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[site]\nname = "Bad Name"\ntimezone = "Mars/Olympus"\n'
        "[collect]\nworkers = 0\nworkerz = 3\n",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    text = str(info.value)
    assert "4 problem(s)" in text
    for key in ("[site.name]", "[site.timezone]", "[collect.workers]", "[collect.workerz]"):
        assert key in text
    assert str(path) in text
    assert "unknown key" in text


def test_missing_site_name_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[site\] required key is missing"):
        load_settings(write(tmp_path, "[collect]\nworkers = 2\n"))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[site\nname = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="prisme-drift init"):
        load_settings(tmp_path / "nope.toml")


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.toml"))
    assert find_config("explicit.toml") == Path("explicit.toml")
    assert find_config(None) == tmp_path / "env.toml"
    monkeypatch.delenv(ENV_VAR)
    assert find_config(None) == Path("prisme-drift.toml")


def test_absolute_and_postgres_urls_are_kept(tmp_path: Path) -> None:
    text = render_default("s1").replace(
        'url = "sqlite:///state/prisme-drift.sqlite"', 'url = "postgresql://u@db/prisme"'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.database_url == "postgresql://u@db/prisme"
