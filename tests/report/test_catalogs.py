"""The gettext catalogs: same message ids in every language, nothing left untranslated."""

from __future__ import annotations

import pytest
from babel.messages.extract import extract_from_dir

from prisme_drift.report.i18n import LANGUAGES, read_catalog, translations
from prisme_drift.report.render import PACKAGE_TEMPLATES
from prisme_drift.report.rules import SEVERITIES

#: Keys built in templates from data (``"severity." ~ name``), which extraction cannot see.
DYNAMIC = {
    *(f"severity.{s}" for s in SEVERITIES),
    *(f"mandate.{m}" for m in ("valid", "expired", "missing")),
    *(
        f"vlan_issue.{k}"
        for k in ("trunk_not_defined_far_side", "name_mismatch", "access_vlan_undefined")
    ),
}


def _ids(lang: str) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog(lang) if m.id}


def _used_in_templates() -> set[str]:
    found = set()
    method_map = [("**.html", "jinja2.ext:babel_extract"), ("**.css", "jinja2.ext:babel_extract")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE_TEMPLATES), method_map=method_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_french_and_english_have_the_same_message_ids() -> None:
    assert _ids("fr") == _ids("en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty_or_fuzzy(lang: str) -> None:
    for message in read_catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{lang}: {message.id} has an empty msgstr"
        assert not message.fuzzy, f"{lang}: {message.id} is fuzzy (would be dropped)"


def test_every_message_a_template_uses_is_in_the_catalogs() -> None:
    used = _used_in_templates() | DYNAMIC
    assert len(used) > 50
    missing = used - _ids("fr")
    assert not missing, f"in templates but not in the catalogs: {sorted(missing)}"


def test_compiled_catalogs_translate_and_pluralise() -> None:
    fr, en = translations("fr"), translations("en")
    assert fr.gettext("audit.section.vlans") == "VLAN"
    assert en.gettext("audit.section.addressing") == "IP addressing plan"
    one = fr.ngettext("audit.summary.findings", "audit.summary.findings_plural", 1)
    many = fr.ngettext("audit.summary.findings", "audit.summary.findings_plural", 3)
    assert one.startswith("%(num)s constat :") and many.startswith("%(num)s constats :")
