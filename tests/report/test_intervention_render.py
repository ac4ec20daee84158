"""The intervention report rendered from the hand-made case: every word from the catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from prisme_drift.devicestate import ITEM_MODELS, SECTIONS, Facts
from prisme_drift.report.i18n import LANGUAGES, read_catalog
from prisme_drift.report.intervention import CATEGORY_SECTIONS, FIELDS, SECTION_ORDER
from prisme_drift.report.intervention_service import render_intervention
from prisme_drift.report.render import RenderOptions
from tests.report.intervention_case import NEW_SERIAL, OLD_SERIAL, case

#: Keys the template builds from data, which extraction cannot see.
DYNAMIC = {
    *(f"inter.section.{s}" for s in (*SECTIONS, *SECTION_ORDER)),
    *(f"inter.field.{f}" for f in (*FIELDS, *Facts.model_fields)),
    *(f"inter.field.{f}" for m in ITEM_MODELS.values() for f in m.model_fields),
    *(f"inter.category.{c}" for c in CATEGORY_SECTIONS),
    *(f"inter.status.{s}" for s in ("draft", "approved", "closed", "cancelled")),
    *(f"inter.rollback.{s}" for s in ("returned", "kept", "no_change", "unknown")),
    *(f"inter.trigger.{t}" for t in ("manual", "daemon", "window-start", "window-end", "other")),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_built_from_data_is_translated(lang: str) -> None:
    ids = {m.id for m in read_catalog(lang) if isinstance(m.id, str)}
    assert not DYNAMIC - ids


@pytest.mark.parametrize("lang", LANGUAGES)
def test_rendered_report_has_no_untranslated_key(lang: str, tmp_path: Path) -> None:
    options = RenderOptions(
        lang=lang, timezone="Indian/Reunion", out_dir=tmp_path, formats=("html",)
    )
    _, files = render_intervention(
        case(version=2, previous=(case().generated_at,)), options, tmp_path
    )
    html = files["html"].read_text()
    body = html.split("<body>", 1)[1]
    assert not re.findall(r"\binter\.[a-z_]+\.?[a-z_-]*", body)
    assert "CR-cabinet-CHG-40-v2" in html and 'href="x-files/baie.jpg"' in html


def test_pdf_holds_serials_flags_and_approval(tmp_path: Path) -> None:
    options = RenderOptions(
        lang="fr", timezone="Indian/Reunion", out_dir=tmp_path, formats=("pdf",)
    )
    _, files = render_intervention(case(), options, tmp_path)
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(files["pdf"]).pages).split())
    assert f"numéro de série : {OLD_SERIAL} → {NEW_SERIAL}" in text
    assert "équipement hors périmètre" in text and "type hors périmètre" in text
    assert "hors fenêtre" in text and "mail 28/11" in text
    assert "perdus : GigabitEthernet1/0/48 → core" in text
