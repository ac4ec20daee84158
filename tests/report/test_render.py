"""The audit document as PDF and HTML: text, fonts, page size, language, restyling, failures."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from prisme_drift.config import load_settings
from prisme_drift.errors import ConfigError, OperationalError
from prisme_drift.report.audit_model import AuditInput
from prisme_drift.report.render import RenderOptions, options_from, parse_formats
from prisme_drift.report.service import render_audit
from prisme_drift.site import init_site
from tests.report.clinic import SERIALS, clinic

A4 = (595, 842)


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def french_audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-made clinic's French audit (PDF, HTML), rendered once for the tests that only
    read it (the ``options`` fixture's settings, in a folder of the module's own)."""
    out = tmp_path_factory.mktemp("french-audit") / "out"
    options = RenderOptions(lang="fr", timezone="Indian/Reunion", out_dir=out)
    written = render_audit(clinic(), options, None)
    return written.files["pdf"], written.files["html"]


def test_the_pdf_holds_every_serial_and_every_vlan(french_audit: tuple[Path, Path]) -> None:
    pdf, _ = french_audit
    assert pdf.name == "cabinet-test-audit-2026-12-02.pdf"
    text = _text(pdf)
    for serial in SERIALS.values():
        assert serial in text
    vlan_table = text.split("4. VLAN", 1)[1].split("Incohérences", 1)[0]
    for vid in (10, 20, 40, 77, 99):
        assert re.search(rf"^{vid} ", vlan_table, re.M), f"VLAN {vid} missing from the table"
    for section in (
        "1. Synthèse",
        "2. Équipements",
        "3. Topologie",
        "5. Plan d'adressage",
        "6. Pare-feu",
        "7. Wi-Fi",
        "8. Accès d'administration",
        "9. Constats et recommandations",
        "Annexe : configurations normalisées",
    ):
        assert section in text


def test_pdf_is_a4_numbered_with_embedded_fonts(french_audit: tuple[Path, Path]) -> None:
    reader = PdfReader(french_audit[0])
    total = len(reader.pages)
    assert total >= 3
    for number, page in enumerate(reader.pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4
        assert f"Page {number} / {total}" in page.extract_text()
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for ref in fonts.values():
        descendant = ref.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
        assert "DejaVu" in str(descriptor["/FontName"])


def test_the_html_stands_alone(french_audit: tuple[Path, Path]) -> None:
    html = french_audit[1].read_text()
    assert "<style>" in html and "@page" in html
    assert "<svg" in html  # diagram and chart inline
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing fetched from elsewhere
    assert "FOC2231X0AB" in html


def test_english_has_no_french_headings(clinic_input: AuditInput, options: RenderOptions) -> None:
    written = render_audit(clinic_input, replace(options, lang="en", formats=("pdf",)), None)
    assert set(written.files) == {"pdf"}
    text = _text(written.files["pdf"])
    assert "Network audit" in text and "Findings and recommendations" in text
    assert "Constats" not in text and "Synthèse" not in text


def test_a_site_restyles_without_python(
    tmp_path: Path, clinic_input: AuditInput, options: RenderOptions
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "custom.css").write_text("h2 { color: #8a2be2; } /* provider violet */")
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    site = tmp_path / "site"
    init_site(site, site="cabinet-test", client="X")
    toml = site / "prisme-drift.toml"
    toml.write_text(
        toml.read_text()
        .replace('templates = "templates"', f'templates = "{templates}"')
        .replace('provider_contact = ""', 'provider_contact = "support@prisme.example"')
        .replace('# logo = "logo.png"', f'logo = "{logo}"')
    )
    opts = options_from(load_settings(toml), out_dir=options.out_dir, formats=("html",))
    html = render_audit(clinic_input, opts, None).files["html"].read_text()
    assert "provider violet" in html
    assert "support@prisme.example" in html
    assert 'src="data:image/svg+xml;base64,' in html


def test_a_missing_logo_is_a_configuration_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    init_site(site, site="cabinet-test", client="X")
    toml = site / "prisme-drift.toml"
    toml.write_text(toml.read_text().replace('# logo = "logo.png"', 'logo = "nowhere.png"'))
    with pytest.raises(ConfigError, match=r"\[report\] logo .*nowhere\.png"):
        options_from(load_settings(toml))


def test_an_unwritable_folder_leaves_nothing_behind(
    tmp_path: Path, clinic_input: AuditInput, options: RenderOptions
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(OperationalError, match="cannot write the report"):
        render_audit(clinic_input, replace(options, out_dir=blocker / "reports"), None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_broken_site_template_names_the_override(
    tmp_path: Path, clinic_input: AuditInput, options: RenderOptions
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "custom.css").write_text("{% if %}")
    with pytest.raises(ConfigError, match="cannot be rendered"):
        render_audit(clinic_input, replace(options, templates_dir=templates), None)
    assert not options.out_dir.exists()


def test_formats_are_checked() -> None:
    assert parse_formats("pdf, html") == ("pdf", "html")
    with pytest.raises(ConfigError, match="unknown format docx"):
        parse_formats("pdf,docx")


def test_file_name_and_title_use_the_site_local_day(
    clinic_input: AuditInput, options: RenderOptions
) -> None:
    late = clinic_input.generated_at.replace(hour=22, minute=30)  # 02:30 on the 3rd in Réunion
    written = render_audit(
        replace(clinic_input, generated_at=late), replace(options, formats=("html",)), None
    )
    html = written.files["html"]
    assert html.name == "cabinet-test-audit-2026-12-03.html"
    text = html.read_text()
    assert "cabinet-test — 2026-12-03" in text
    assert "3 décembre 2026 02:30" in text
