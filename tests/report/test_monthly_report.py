"""``prisme-drift report monthly`` as a user runs it: PDF and HTML, French and English, the
figures in the text, a quiet month, a month without polls, reproducibility."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from prisme_drift.errors import OperationalError
from prisme_drift.report.i18n import LANGUAGES, read_catalog
from prisme_drift.report.monthly import FIGURES
from prisme_drift.report.monthly_input import DevicePollRow, DeviceRow, MonthInput, parse_month
from prisme_drift.report.monthly_service import render_monthly, write_monthly
from prisme_drift.report.render import RenderOptions
from tests.clirun import run_cli
from tests.report.monthly_history import MONTH, History

NOW = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)


def _cli(history: History, *args: str) -> subprocess.CompletedProcess[str]:
    config = history.site.config_file
    return run_cli("report", "monthly", *args, config=config, env={"PRISME_DRIFT_CONFIG": None})


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.mark.lab
def test_the_french_pdf_holds_every_section_and_figure(monthly_history: History) -> None:
    done = _cli(monthly_history, "--month", MONTH, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["site"], result["client"], result["month"]) == (
        "test-site",
        "Cabinet Test",
        MONTH,
    )
    pdf = Path(result["pdf"])
    assert pdf == monthly_history.site.folder / "reports" / f"test-site-{MONTH}.pdf"
    assert Path(result["html"]).exists()
    figures = result["figures"]
    assert list(figures)[: len(FIGURES)] == list(FIGURES)
    assert (figures["unauthorized"], figures["open_at_end"], figures["polls"]) == (3, 1, 12)
    assert figures["previous"]["changes"] == 1
    text = _text(pdf)
    for heading in (
        "Novembre 2026",
        "En bref",
        "Modifications par semaine",
        "Modifications non autorisées",
        "Interventions",
        "Étapes transitoires",
        "Disponibilité de la surveillance",
        "Points ouverts",
        "Annexe",
        "Glossaire",
    ):
        assert heading in text, heading
    assert "3 modifications faites sans visa écrit ; 1 toujours en place" in text
    assert "87,5" in text  # the success ratio, French style
    for word in ("CHG-T1", "CHG-D1", "J. Martin", "échue et toujours en place", "168 h"):
        assert word in text, word
    assert "+ vlan 50" in text  # the annex diff
    flat = " ".join(text.split())
    for lang_id in FIGURES:
        assert f"({lang_id})" in flat, lang_id  # one glossary entry per figure


@pytest.mark.lab
def test_english_html_on_request(monthly_history: History, tmp_path: Path) -> None:
    done = _cli(
        monthly_history, "--month", MONTH, "--lang", "en", "--format", "html", "--out",
        str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "written:" in done.stdout and "3 unauthorized" in done.stdout
    assert not (tmp_path / f"test-site-{MONTH}.pdf").exists()
    html = (tmp_path / f"test-site-{MONTH}.html").read_text()
    assert "Monthly summary of network changes" in html
    assert "expired and still in place" in html
    assert "Synthèse mensuelle" not in html


@pytest.mark.lab
def test_the_same_month_twice_gives_the_same_document(
    monthly_history: History, tmp_path: Path
) -> None:
    settings = monthly_history.site.settings
    first = write_monthly(settings, month=MONTH, out_dir=tmp_path / "a", formats=("html",), now=NOW)
    again = write_monthly(settings, month=MONTH, out_dir=tmp_path / "b", formats=("html",), now=NOW)
    assert first.figures == again.figures
    assert first.files["html"].read_text() == again.files["html"].read_text()


@pytest.mark.lab
def test_a_month_without_any_poll_is_an_error_that_says_so(monthly_history: History) -> None:
    done = _cli(monthly_history, "--month", "2026-08")
    assert done.returncode == 7
    assert "no poll of site test-site in 2026-08" in done.stderr
    assert not list((monthly_history.site.folder / "reports").glob("*2026-08*"))
    bad = _cli(monthly_history, "--month", "2026-13")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def _quiet_month() -> MonthInput:
    month = parse_month("2026-11", "Indian/Reunion")
    polls = tuple(datetime(2026, 11, d, 6, tzinfo=UTC) for d in (2, 9, 16, 23))
    return MonthInput(
        site="cabinet-calme",
        client="Cabinet Calme",
        month=month,
        generated_at=NOW,
        polls=polls,
        device_polls=tuple(DevicePollRow("sw01", at, "unchanged") for at in polls),
        devices=(DeviceRow("sw01", datetime(2026, 1, 5, tzinfo=UTC)),),
        items=(),
        tickets=(),
    )


def test_a_quiet_month_is_a_short_positive_report(tmp_path: Path) -> None:
    options = RenderOptions(lang="fr", timezone="Indian/Reunion", out_dir=tmp_path)
    written = render_monthly(_quiet_month(), options)
    text = _text(written.files["pdf"])
    assert "Mois calme" in text
    assert "Aucune modification non autorisée ce mois-ci." in text
    assert "Annexe" not in text and "Points ouverts" not in text
    assert len(PdfReader(written.files["pdf"]).pages) <= 2
    assert written.figures["changes"] == 0 and written.figures["poll_success_ratio"] == 1.0


def test_no_poll_in_the_month_writes_nothing(tmp_path: Path) -> None:
    data = _quiet_month()
    empty = MonthInput(**{**data.__dict__, "polls": (), "device_polls": ()})
    with pytest.raises(OperationalError, match="no poll of site cabinet-calme in 2026-11"):
        render_monthly(empty, RenderOptions(out_dir=tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_figure_and_dynamic_word_is_in_the_catalogs(lang: str) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog(lang) if m.id}
    wanted = {f"monthly.{kind}.{name}" for name in FIGURES for kind in ("figure", "def")}
    wanted |= {f"monthly.category.{c}" for c in ("interface", "vlan", "device", "other")}
    wanted |= {f"monthly.step.{s}" for s in ("running", "expired", "removed", "definitive")}
    wanted |= {f"monthly.expected.{k}" for k in ("unauthorized", "transitional_expired")}
    wanted |= {
        f"monthly.status.{s}"
        for s in ("open", "reverted", "accepted", "covered", "superseded", "device_removed")
    }
    assert not wanted - ids
