"""The profile cache (``prisme_drift.profiles.cache``): a second start reads the validated
profile without parsing or validating it; an edited, corrupt, foreign or stale entry is never
trusted."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pydantic
import pytest

from prisme_drift.errors import ProfileError
from prisme_drift.profiles import BUILTIN, _load, get_profile, use_site_profiles
from prisme_drift.profiles import cache as profile_cache

IOS = BUILTIN / "ios.yaml"
IOS_TEXT = IOS.read_text(encoding="utf-8")

FIRST_USE = """
import hashlib, sys
from prisme_drift.profiles import get_profile
from prisme_drift.profiles.schema import Profile
profile = get_profile("ios")
print(Profile.__pydantic_complete__, "yaml" in sys.modules)
print(hashlib.sha256(repr(profile).encode()).hexdigest())
"""


@pytest.fixture
def entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of this test's own; profiles read afresh before and after it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _load.cache_clear()
    use_site_profiles(None)
    yield tmp_path / "xdg" / "prisme-drift" / "profiles"
    _load.cache_clear()
    use_site_profiles(None)


def _fresh_ios() -> str:
    """The IOS profile as a new process would load it (the loaded files forgotten)."""
    _load.cache_clear()
    return repr(get_profile("ios"))


def test_a_second_start_reads_the_validated_profile_without_yaml_or_schema(
    entries: Path,
) -> None:
    def start() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", FIRST_USE],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.splitlines()

    first, second = start(), start()
    assert first[0] == "True True"  # parsed and validated: the schema was built
    assert second[0] == "False False"  # from the cache: no PyYAML, no schema built
    assert first[1] == second[1]  # the same profile, field for field
    assert len(list(entries.glob("*.pickle"))) == len(list(BUILTIN.glob("*.yaml")))


def test_an_edited_profile_is_validated_again_and_a_broken_edit_names_file_and_key(
    entries: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    site_ios = folder / "ios.yaml"
    site_ios.write_text(IOS_TEXT.replace("min_lines: 5", "min_lines: 6"), encoding="utf-8")
    use_site_profiles(folder)
    assert get_profile("ios").guard.min_lines == 6
    site_ios.write_text(IOS_TEXT.replace("min_lines: 5", "min_lines: 60"), encoding="utf-8")
    use_site_profiles(folder)
    assert get_profile("ios").guard.min_lines == 60
    site_ios.write_text(IOS_TEXT.replace("min_lines: 5", "min_lines: many"), encoding="utf-8")
    with pytest.raises(ProfileError) as cached:
        use_site_profiles(folder)
    assert str(site_ios) in str(cached.value)
    assert "guard.min_lines: Input should be a valid integer" in str(cached.value)
    assert get_profile("ios").guard.min_lines == 60  # the previous choice stands
    _load.cache_clear()
    with pytest.raises(ProfileError) as uncached:
        use_site_profiles(folder)  # read again: the broken file has no entry
    assert str(uncached.value) == str(cached.value)


def _ios_entry(folder: Path) -> Path:
    """The cache file of the built-in IOS profile."""
    path = profile_cache._entry_path(IOS.read_bytes())
    assert path is not None and path.parent == folder
    return path


CORRUPT = {
    "empty": lambda key: b"",
    "truncated": lambda key: pickle.dumps((key, "ios", (), None))[:20],
    "not-a-profile": lambda key: pickle.dumps((key, "ios", (), "a profile")),
    "name-not-the-profiles": lambda key: pickle.dumps((key, "nxos", (), get_profile("ios"))),
    "copied-from-another-key": lambda key: pickle.dumps(("0" * 64, "ios", (), None)),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_a_corrupt_entry_is_ignored_and_written_again(entries: Path, kind: str) -> None:
    expected = _fresh_ios()
    entry = _ios_entry(entries)
    entry.write_bytes(CORRUPT[kind](entry.stem))
    assert profile_cache.read(IOS.read_bytes()) is None
    assert _fresh_ios() == expected  # parsed and validated again
    cached = profile_cache.read(IOS.read_bytes())  # and the entry written again
    assert cached is not None and cached[2] is not None and repr(cached[2]) == expected


def test_an_entry_another_account_may_write_is_not_read(entries: Path) -> None:
    _fresh_ios()
    entry = _ios_entry(entries)
    assert profile_cache.read(IOS.read_bytes()) is not None
    entry.chmod(0o666)
    assert profile_cache.read(IOS.read_bytes()) is None
    entry.chmod(0o600)
    entries.chmod(0o777)
    assert profile_cache.read(IOS.read_bytes()) is None
    entries.chmod(0o700)
    assert profile_cache.read(IOS.read_bytes()) is not None


@pytest.mark.parametrize("what", ["prisme-drift", "pydantic"])
def test_an_entry_of_another_version_is_not_used(
    entries: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    _fresh_ios()
    raw = IOS.read_bytes()
    assert profile_cache.read(raw) is not None
    if what == "prisme-drift":
        monkeypatch.setattr(profile_cache, "__version__", "99.0")
    else:
        monkeypatch.setattr(pydantic, "VERSION", "99.0")
    profile_cache._salt.cache_clear()
    try:
        assert profile_cache.read(raw) is None
        assert "min_lines" in _fresh_ios()  # read and validated again
    finally:
        profile_cache._salt.cache_clear()


def test_without_a_writable_cache_folder_profiles_load_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    try:
        assert get_profile("ios").guard.min_lines == 5
        assert "min_lines=5" in _fresh_ios()
    finally:
        _load.cache_clear()
    assert blocker.read_text(encoding="utf-8") == ""


def test_under_systemd_the_units_cache_directory_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """systemd sets ``$CACHE_DIRECTORY`` from the unit's ``CacheDirectory=`` (the service's
    account may have no writable home under ``ProtectHome=``): entries go there."""
    unit_cache = tmp_path / "var-cache"
    unit_cache.mkdir(mode=0o700)
    monkeypatch.setenv("CACHE_DIRECTORY", f"{unit_cache}:{tmp_path / 'second'}")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _load.cache_clear()
    use_site_profiles(None)
    try:
        assert profile_cache.cache_folder() == unit_cache / "profiles"
        get_profile("ios")
        assert list((unit_cache / "profiles").glob("*.pickle"))
        assert not (tmp_path / "xdg").exists()
        monkeypatch.setenv("CACHE_DIRECTORY", "relative/path")  # not systemd's: ignored
        assert profile_cache.cache_folder() == tmp_path / "xdg" / "prisme-drift" / "profiles"
    finally:
        _load.cache_clear()
        use_site_profiles(None)
