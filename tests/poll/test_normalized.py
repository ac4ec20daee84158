"""A raw configuration seen before is not normalized again, and only when that is provably the
same result: same keyed digest (raw text, profile, normalizer code, key) and the observed file on
the baseline is the very blob it normalized to (``poll.normalized``)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

import prisme_drift.poll.normalized as module
from prisme_drift.baseline import OBSERVED, BaselineRepo
from prisme_drift.baseline.store import blob_id
from prisme_drift.models import Snapshot
from prisme_drift.normalize import FingerprintKey, normalize
from prisme_drift.poll.normalized import (
    RAW_DIGESTS,
    Normalized,
    raw_digest,
    read_digests,
)
from prisme_drift.profiles import get_profile

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
SECRET = "$9$Q9Tn1.sEcReT-EnAbLe"
RAW = (
    "Building configuration...\n"
    "hostname sw01\n"
    f"enable secret 9 {SECRET}\n"
    "vlan 10\n name DATA\n"
    "end\n"
)
KEY = FingerprintKey(b"k" * 32)


class Counting:
    """``normalize`` itself, counting its calls (the real passes run)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object) -> str:
        self.calls += 1
        return normalize(*args)  # type: ignore[arg-type]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counting:
    spy = Counting()
    monkeypatch.setattr(module, "normalize", spy)
    return spy


def first_poll(tmp_path: Path, raw: str = RAW) -> tuple[Path, Path]:
    """A baseline holding ``raw`` normalized as sw01's observed file, and its digests saved."""
    baseline, state = tmp_path / "baselines", tmp_path / "state"
    state.mkdir()
    cache = Normalized(KEY)
    config = cache.get("sw01", "ios", raw)
    with BaselineRepo(baseline, "site1") as repo:
        repo.commit(OBSERVED, {"sw01": Snapshot("sw01", "ios", config, {})}, "poll 1", NOW)
    cache.save(state, ["sw01"])
    return baseline, state


def next_poll(baseline: Path, state: Path, raw: str = RAW) -> str:
    """What the next poll's cache makes of ``raw`` (then of a second text, if given)."""
    with BaselineRepo(baseline, "site1") as repo:
        snapshot = repo.read(OBSERVED, "sw01", "ios")
        observed = {"sw01": snapshot.config if snapshot else None}
        cache = Normalized.load(KEY, repo, state, observed)
        return cache.get("sw01", "ios", raw)


def test_the_same_raw_text_is_not_normalized_again(tmp_path: Path, counted: Counting) -> None:
    baseline, state = first_poll(tmp_path)
    assert counted.calls == 1
    assert next_poll(baseline, state) == normalize(RAW, get_profile("ios"), KEY)
    assert counted.calls == 1  # the observed text was taken as it is


def test_a_changed_raw_text_after_an_unchanged_one_is_normalized(
    tmp_path: Path, counted: Counting
) -> None:
    baseline, state = first_poll(tmp_path)
    next_poll(baseline, state)
    assert counted.calls == 1
    text = next_poll(baseline, state, RAW.replace(" name DATA", " name VOICE"))
    assert " name VOICE" in text
    assert counted.calls == 2


def test_a_baseline_moved_by_other_means_is_not_trusted(tmp_path: Path, counted: Counting) -> None:
    """The digest matches, but observed is no longer the blob it normalized to."""
    baseline, state = first_poll(tmp_path)
    with BaselineRepo(baseline, "site1") as repo:
        moved = Snapshot("sw01", "ios", "hostname elsewhere\n", {})
        repo.commit(OBSERVED, {"sw01": moved}, "edited by hand", NOW)
    assert next_poll(baseline, state) == normalize(RAW, get_profile("ios"), KEY)
    assert counted.calls == 2


def test_the_digest_moves_with_the_profile_and_the_key() -> None:
    ios = get_profile("ios")
    other_rules = ios.model_copy(update={"noise": (*ios.noise, "^vlan 10$")})
    digest = raw_digest(RAW, ios, KEY)
    assert raw_digest(RAW, ios, KEY) == digest
    assert raw_digest(RAW, other_rules, KEY) != digest
    assert raw_digest(RAW, ios, FingerprintKey(b"j" * 32)) != digest
    assert raw_digest(RAW + "vlan 20\n", ios, KEY) != digest


def test_the_digest_file_is_private_and_holds_no_configuration_text(tmp_path: Path) -> None:
    _, state = first_poll(tmp_path)
    path = state / RAW_DIGESTS
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "hostname" not in text and "enable" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    seen = read_digests(state)["sw01"]
    assert seen.raw == raw_digest(RAW, get_profile("ios"), KEY)
    assert seen.blob == blob_id(normalize(RAW, get_profile("ios"), KEY))


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]", '{"sw01": {"raw": 1}}'])
def test_an_unreadable_digest_file_only_costs_a_normalization(
    tmp_path: Path, counted: Counting, content: str
) -> None:
    baseline, state = first_poll(tmp_path)
    (state / RAW_DIGESTS).write_text(content, encoding="utf-8")
    assert read_digests(state) == {}
    assert next_poll(baseline, state) == normalize(RAW, get_profile("ios"), KEY)
    assert counted.calls == 2


def test_devices_gone_from_the_inventory_are_dropped(tmp_path: Path) -> None:
    _, state = first_poll(tmp_path)
    Normalized(KEY, seen=read_digests(state)).save(state, ["sw02"])
    assert read_digests(state) == {}


def test_blob_id_is_git_s_own(tmp_path: Path) -> None:
    text = "hostname sw01\ndescription é\n"
    with BaselineRepo(tmp_path / "baselines", "site1") as repo:
        repo.commit(OBSERVED, {"sw01": Snapshot("sw01", "ios", text, {})}, "poll", NOW)
        assert repo.config_blob(OBSERVED, "sw01") == blob_id(text)
        assert repo.config_blob(OBSERVED, "sw02") is None
