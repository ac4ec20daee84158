"""Loading platform profiles: strict YAML, names checked at load time, site profiles."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from prisme_drift.errors import ProfileError
from prisme_drift.normalize.canonical import CANONICALIZERS
from prisme_drift.normalize.framing import FRAMINGS
from prisme_drift.profiles import (
    BUILTIN,
    ENTRY_POINT_GROUP,
    get_profile,
    known_platforms,
    load_profile_file,
    use_site_profiles,
)
from prisme_drift.profiles.schema import CanonicalizerName, FramingName

ROOT = Path(__file__).resolve().parents[1]
IOS_TEXT = (BUILTIN / "ios.yaml").read_text(encoding="utf-8")
MINIMAL = "name: mini\ndescription: x\ncollect: {method: napalm, napalm_driver: ios}\n"


@pytest.fixture(autouse=True)
def builtin_only() -> Iterator[None]:
    """Every test starts and ends with the built-in profiles only."""
    use_site_profiles(None)
    yield
    use_site_profiles(None)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def renamed(text: str, name: str) -> str:
    """The IOS profile under another name, without the IOS aliases."""
    text = text.replace("name: ios\n", f"name: {name}\n", 1)
    return text.replace("aliases: [cisco_ios, iosxe, cisco_xe]\n", "", 1)


# -- strict loading ---------------------------------------------------------------------------
def test_a_key_written_twice_is_refused_naming_file_line_and_key(tmp_path: Path) -> None:
    text = IOS_TEXT.replace("min_lines: 5\n", "min_lines: 5\n  min_lines: 50\n", 1)
    path = write(tmp_path, "ios.yaml", text)
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'min_lines' is defined twice" in message
    assert "line" in message


@pytest.mark.parametrize(
    ("key", "bad", "valid"),
    [
        ("framing", "framing: [join_backslash, menu_pathz]\n", sorted(FRAMINGS)),
        ("canonicalizers", "canonicalizers: [drop_blank_line]\n", sorted(CANONICALIZERS)),
    ],
)
def test_an_unknown_step_name_is_refused_at_load_time(
    tmp_path: Path, key: str, bad: str, valid: list[str]
) -> None:
    text = MINIMAL + bad
    path = write(tmp_path, "x.yaml", text)
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"{key}." in message  # the key, and the position of the bad name
    for name in valid:
        assert f"'{name}'" in message


def test_the_schema_names_are_the_registered_steps() -> None:
    assert set(get_args(FramingName)) == set(FRAMINGS)
    assert set(get_args(CanonicalizerName)) == set(CANONICALIZERS)


def test_patterns_are_compiled_once_per_profile() -> None:
    profile = get_profile("ios")
    first = profile.pattern(r"^interface ")
    assert profile.pattern(r"^interface ") is first
    assert profile.compiled_patterns[r"^interface "] is first


# -- site profiles ----------------------------------------------------------------------------
def test_a_site_profile_adds_a_platform(tmp_path: Path) -> None:
    write(tmp_path / "profiles", "acme_switch.yaml", renamed(IOS_TEXT, "acme_switch"))
    with pytest.raises(ProfileError, match="unknown platform 'acme_switch'"):
        get_profile("acme_switch")
    use_site_profiles(tmp_path / "profiles")
    assert get_profile("acme_switch").name == "acme_switch"
    assert "acme_switch" in known_platforms()
    assert get_profile("ios").name == "ios"  # the built-in ones are still there
    use_site_profiles(None)
    assert "acme_switch" not in known_platforms()


def test_a_site_profile_replaces_the_built_in_one_of_its_name(tmp_path: Path) -> None:
    text = IOS_TEXT.replace("description: Cisco IOS and IOS-XE", "description: our IOS", 1)
    text = text.replace("aliases: [cisco_ios, iosxe, cisco_xe]", "aliases: [cisco_ios]", 1)
    write(tmp_path / "profiles", "ios.yaml", text)
    use_site_profiles(tmp_path / "profiles")
    assert get_profile("ios").description == "our IOS"
    assert get_profile("cisco_ios").description == "our IOS"
    # the replaced profile's other aliases went with it
    with pytest.raises(ProfileError, match="unknown platform 'iosxe'"):
        get_profile("iosxe")


def test_an_edited_site_profile_is_read_again(tmp_path: Path) -> None:
    path = write(
        tmp_path / "profiles", "ios.yaml", IOS_TEXT.replace("min_lines: 5", "min_lines: 6")
    )
    use_site_profiles(tmp_path / "profiles")
    assert get_profile("ios").guard.min_lines == 6
    path.write_text(IOS_TEXT.replace("min_lines: 5", "min_lines: 70"), encoding="utf-8")
    use_site_profiles(tmp_path / "profiles")
    assert get_profile("ios").guard.min_lines == 70


def test_a_broken_site_profile_names_its_file_and_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "good", "acme_switch.yaml", renamed(IOS_TEXT, "acme_switch"))
    use_site_profiles(tmp_path / "good")
    bad = write(tmp_path / "bad", "broken.yaml", "name: broken\ndescription: x\n")
    with pytest.raises(ProfileError) as caught:
        use_site_profiles(tmp_path / "bad")
    assert str(bad) in str(caught.value)
    assert "collect: Field required" in str(caught.value)
    assert get_profile("acme_switch").name == "acme_switch"  # the previous choice stands


# -- profiles from an installed package (entry points) --------------------------------------
def install_plugin(folder: Path, value: str = "acme_profiles") -> None:
    """A package registering profiles as pip would leave it: the package and its dist-info."""
    write(folder / "acme_profiles", "__init__.py", '"""Profiles of ACME switches."""\n')
    write(folder / "acme_profiles", "acme_switch.yaml", renamed(IOS_TEXT, "acme_switch"))
    info = folder / "acme_profiles-1.0.dist-info"
    write(info, "METADATA", "Metadata-Version: 2.1\nName: acme-profiles\nVersion: 1.0\n")
    write(info, "entry_points.txt", f"[{ENTRY_POINT_GROUP}]\nacme = {value}\n")


def python(folder: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_an_installed_package_adds_profiles_through_its_entry_point(tmp_path: Path) -> None:
    install_plugin(tmp_path)
    done = python(
        tmp_path,
        "from prisme_drift.profiles import get_profile, known_platforms\n"
        "print(get_profile('acme_switch').name, 'ios' in known_platforms())",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["acme_switch", "True"]


def test_a_distribution_shadowed_on_the_path_adds_no_profiles(tmp_path: Path) -> None:
    """As importlib: the first copy of a distribution on the path is the installed one."""
    install_plugin(tmp_path / "older")
    info = tmp_path / "newer" / "acme_profiles-2.0.dist-info"  # no entry point any more
    write(info, "METADATA", "Metadata-Version: 2.1\nName: acme-profiles\nVersion: 2.0\n")
    code = "from prisme_drift.profiles import known_platforms\nprint(known_platforms())"
    seen = {}
    for order in (["newer", "older"], ["older", "newer"]):
        path = [str(tmp_path / folder) for folder in order]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(ROOT)])}
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        seen[order[0]] = "acme_switch" in done.stdout
    assert seen == {"newer": False, "older": True}


def test_a_broken_entry_point_is_a_profile_error_naming_it(tmp_path: Path) -> None:
    install_plugin(tmp_path, value="acme_profilez")
    done = python(
        tmp_path,
        "from prisme_drift.errors import ProfileError\n"
        "from prisme_drift.profiles import get_profile\n"
        "try:\n    get_profile('ios')\nexcept ProfileError as exc:\n    print(exc)",
    )
    assert done.returncode == 0, done.stderr
    assert "entry point 'acme' = 'acme_profilez'" in done.stdout
    assert ENTRY_POINT_GROUP in done.stdout


def test_compare_tries_a_profile_folder_before_a_site_uses_it(tmp_path: Path) -> None:
    write(tmp_path / "profiles", "acme_switch.yaml", renamed(IOS_TEXT, "acme_switch"))
    base = "hostname sw\n!\ninterface Gi1\n description a\n!\nend\n"
    approved = write(tmp_path, "approved.cfg", base)
    running = write(tmp_path, "running.cfg", base.replace("!\nend", "vlan 40\n name X\n!\nend"))
    command = [sys.executable, "-m", "prisme_drift", "compare", "--platform", "acme_switch"]
    files = [str(approved), str(running), "--json"]
    unknown = subprocess.run([*command, *files], capture_output=True, text=True, check=False)
    assert unknown.returncode == 2, unknown.stderr
    assert "unknown platform 'acme_switch'" in unknown.stderr
    done = subprocess.run(
        [*command, "--profiles", str(tmp_path / "profiles"), *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert '"category": "vlan"' in done.stdout
    assert '"no vlan 40"' in done.stdout
