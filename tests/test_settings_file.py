"""The settings file ``init`` writes is generated from the settings models: every key, valid TOML,
the models' defaults and descriptions, any client name escaped by the TOML writer."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from prisme_drift.config import Settings, load_settings
from prisme_drift.settings_file import _section_model, render_default
from prisme_drift.site import init_site


def keys_of(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every settings key as ``section.key`` (nested sections recursed)."""
    keys = []
    for name, field in model.model_fields.items():
        sub = _section_model(field)
        if sub is not None:
            keys += keys_of(sub, f"{prefix}{name}.")
        elif prefix:
            keys.append(prefix + (field.alias or name))
    return keys


def sections(text: str) -> dict[str, list[str]]:
    """Section name -> the key names written in it, commented out or not."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        header = re.match(r"^(?:# )?\[([a-z.]+)\]$", line)
        key = re.match(r"^(?:# )?([a-z_]+) = ", line)
        if header:
            current = header.group(1)
            found.setdefault(current, [])
        elif key and current:
            found[current].append(key.group(1))
    return found


def test_every_settings_key_is_in_the_init_file() -> None:
    written = sections(render_default("s1"))
    expected = keys_of(Settings)
    assert len(expected) > 60
    missing = [
        k for k in expected if k.rsplit(".", 1)[1] not in written.get(k.rsplit(".", 1)[0], [])
    ]
    assert missing == []


def test_the_init_file_round_trips_to_the_models_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prisme-drift.toml"
    path.write_text(render_default("s1"), encoding="utf-8")
    loaded = load_settings(path)
    defaults = Settings.model_validate(
        {"site": {"name": "s1"}, "schedule": {"poll_every": "15m"}, "source": path.resolve()}
    )
    assert loaded == defaults
    assert loaded.schedule.poll_seconds == 900


def test_descriptions_and_choices_become_comments() -> None:
    text = render_default("s1")
    described = Settings.model_fields["collect"].annotation.model_fields["retries"].description  # type: ignore[union-attr]
    assert described and f"retries = 2                     # {described}" in text
    assert re.search(r'^host_key_policy = "tofu" +# tofu \| strict \| ignore$', text, re.M)
    assert re.search(r'^# credentials = "credentials.yaml" +# passwords', text, re.M)


def test_every_commented_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    """Uncomment every key and section: the examples must satisfy the models they illustrate."""
    text = render_default("s1").replace('poll_every = "15m"', "")  # poll_cron replaces it
    uncommented = re.sub(r"^# (\[[a-z.]+\]$|[a-z_]+ = )", r"\1", text, flags=re.M)
    path = tmp_path / "prisme-drift.toml"
    path.write_text(uncommented, encoding="utf-8")
    settings = load_settings(path)
    assert settings.smtp is not None and settings.smtp.sender == "prisme-drift@example.net"
    assert settings.webhook is not None and settings.tickets.glpi is not None
    assert settings.tickets.glpi.category_map["Réseau > VLAN"] == ("vlan",)
    assert settings.schedule.poll_cron == "*/10 7-20 * * *" and settings.report.logo


@pytest.mark.parametrize(
    "client",
    ['Cabinet "Le Sourire"', "Dr O'Hara \\ Fils", "Clinique Dentaire Saint-Denis — Réunion", '\\"'],
)
def test_any_client_name_round_trips(tmp_path: Path, client: str) -> None:
    text = render_default("s1", client)
    assert tomllib.loads(text)["site"]["client"] == client
    init_site(tmp_path / "site", client=client)
    assert load_settings(tmp_path / "site" / "prisme-drift.toml").site.client == client
