"""The alert catalogs: same ids in French and English, nothing empty, same placeholders, every
message the code asks for is there and every message is asked for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message

from prisme_drift.i18n import LANGUAGES, Catalogs
from prisme_drift.models import Category
from prisme_drift.notify.document import CATALOGS, PACKAGE_TEMPLATES
from prisme_drift.notify.sections import SECTIONS
from prisme_drift.notify.sections.site import STORE_PROBLEMS
from prisme_drift.report.i18n import CATALOGS as REPORT_CATALOGS
from prisme_drift.web.render import CATALOGS as WEB_CATALOGS

NOTIFY = Path(PACKAGE_TEMPLATES).parent
AREAS = {"notify": CATALOGS, "report": REPORT_CATALOGS, "web": WEB_CATALOGS}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
#: A key written whole in Python or a template: "alert.x.y" or 'alert.x.y'.
LITERAL_KEY = re.compile(r"""["'](alert\.[a-z_.]+[a-z_])["']""")
#: Families whose last part is data (a category, a reason): checked by membership, not by use.
DATA_FAMILIES = ("alert.category.", "alert.reason.", "alert.closed.", "alert.quarantine.")


def _messages(catalogs: Catalogs, lang: str) -> dict[str, Message]:
    return {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogs.read(lang) if m.id}


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _placeholders(message: Message) -> set[str]:
    return {name for s in _strings(message) for name in PLACEHOLDER.findall(s)}


@pytest.mark.parametrize("area", AREAS)
def test_french_and_english_have_the_same_ids(area: str) -> None:
    fr, en = (_messages(AREAS[area], lang).keys() for lang in ("fr", "en"))
    assert fr == en, f"{area}: only in fr {sorted(fr - en)}, only in en {sorted(en - fr)}"


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty_or_fuzzy(area: str, lang: str) -> None:
    for key, message in _messages(AREAS[area], lang).items():
        assert all(s.strip() for s in _strings(message)), f"{area} {lang}: {key} is empty"
        assert not message.fuzzy, f"{area} {lang}: {key} is fuzzy (it would be dropped)"


@pytest.mark.parametrize("area", AREAS)
def test_placeholders_are_the_same_in_both_languages(area: str) -> None:
    fr, en = (_messages(AREAS[area], lang) for lang in ("fr", "en"))
    differ = {k: (_placeholders(fr[k]), _placeholders(en[k])) for k in fr if k in en}
    differ = {k: v for k, v in differ.items() if v[0] != v[1]}
    assert not differ, f"{area}: placeholders differ: {differ}"


def _literal_keys() -> set[str]:
    """Keys written whole in the code and templates (a data family's prefix is not a key)."""
    files = [*NOTIFY.rglob("*.py"), *PACKAGE_TEMPLATES.iterdir()]
    found = {key for f in files for key in LITERAL_KEY.findall(f.read_text(encoding="utf-8"))}
    return {key for key in found if f"{key}." not in DATA_FAMILIES}


def _built_keys() -> set[str]:
    """Keys the code builds from an event kind or a store problem."""
    kinds = set(SECTIONS)
    return {
        *(
            f"alert.{family}.{k}"
            for family in ("subject", "count", "kind", "heading")
            for k in kinds
        ),
        *(f"alert.{family}.{p}" for family in ("store", "store_advice") for p in STORE_PROBLEMS),
        *(f"alert.category.{c.value}" for c in Category),
    }


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    used = _literal_keys() | _built_keys()
    assert len(used) > 120
    missing = used - _messages(CATALOGS, "fr").keys()
    assert not missing, f"asked for by the code but not in the catalog: {sorted(missing)}"


def test_every_message_of_the_catalog_is_used() -> None:
    used = _literal_keys() | _built_keys()
    unused = {
        k for k in _messages(CATALOGS, "fr") if k not in used and not k.startswith(DATA_FAMILIES)
    }
    assert not unused, f"in the catalog but used nowhere: {sorted(unused)}"
    families = {f for f in DATA_FAMILIES if any(k.startswith(f) for k in _messages(CATALOGS, "fr"))}
    assert families == set(DATA_FAMILIES)


def test_plurals_follow_each_language() -> None:
    fr, en = CATALOGS.words("fr"), CATALOGS.words("en")
    assert fr.plural("alert.count.drift_opened", 1) == "1 modification non autorisée"
    assert fr.plural("alert.count.drift_opened", 2) == "2 modifications non autorisées"
    assert en.plural("alert.count.fetch_quarantined", 1) == "1 quarantined fetch"
    assert en.plural("alert.count.fetch_quarantined", 3) == "3 quarantined fetches"
    assert fr.label("alert.category", "routing") == "routage"
    assert fr.label("alert.category", "newthing") == "newthing"  # newer than the catalog
