"""The fetch guard quarantines empty, truncated and error-text fetches."""

from __future__ import annotations

from prisme_drift.collect import check_fetch
from prisme_drift.profiles import get_profile

IOS = get_profile("ios")
GOOD = "\n".join(["hostname sw01", *[f"vlan {n}\n name V{n}" for n in range(10, 20)], "end"])


def test_good_fetch_is_accepted() -> None:
    assert check_fetch(GOOD, IOS, last_good_lines=21).accepted


def test_empty_fetch() -> None:
    assert check_fetch("", IOS).reason == "empty"
    assert check_fetch("  \n\n", IOS).reason == "empty"
    assert check_fetch(None, IOS).reason == "empty"


def test_missing_end_marker_is_truncated() -> None:
    result = check_fetch(GOOD.rsplit("\n", 1)[0], IOS)
    assert result.reason == "truncated"
    assert "end marker" in result.detail


def test_much_shorter_than_last_good_is_truncated() -> None:
    short = "hostname sw01\nvlan 10\n name A\nvlan 11\n name B\nend"
    assert check_fetch(short, IOS, last_good_lines=21).reason == "truncated"
    assert check_fetch(short, IOS, last_good_lines=21, min_share=0.2).accepted


def test_error_text_is_quarantined_wherever_it_appears() -> None:
    for error in (
        "% Invalid input detected at '^' marker.",
        "% Authorization failed.",
        "Error: command failed",
        "sw01#",
        "Password:",
    ):
        config = GOOD.replace("hostname sw01", f"hostname sw01\n{error}")
        assert check_fetch(config, IOS).reason == "error_text", error


def test_indented_words_are_not_errors() -> None:
    config = GOOD.replace("hostname sw01", "hostname sw01\n description Error: old port")
    assert check_fetch(config, IOS).accepted


def test_error_detail_never_quotes_the_rest_of_a_raw_line() -> None:
    config = GOOD.replace("hostname sw01", "hostname sw01\nError: bad key S3cretValue")
    result = check_fetch(config, IOS)
    assert result.reason == "error_text"
    assert "S3cretValue" not in result.detail
    assert "Error:" in result.detail
