"""The one catalog mechanism (prisme_drift/i18n.py) that alerts and client documents share."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from prisme_drift.errors import ConfigError
from prisme_drift.i18n import Catalogs
from prisme_drift.notify.document import CATALOGS as ALERTS
from prisme_drift.report.i18n import CATALOGS as REPORTS
from prisme_drift.report.i18n import gettext_for, translations
from prisme_drift.web.render import CATALOGS as WEB
from prisme_drift.web.render import HERE as WEB_DIR

#: A web message id written whole in a template or module: "web.x.y" or 'web.x.y'.
WEB_KEY = re.compile(r"""["'](web\.[a-z0-9_.]+[a-z0-9_])["']""")


def test_an_unknown_language_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"'de' is not available; use one of fr, en"):
        ALERTS.words("de")
    with pytest.raises(ConfigError, match="'de'"):
        translations("de")


def test_each_area_reads_its_own_catalog() -> None:
    assert ALERTS.words("fr")("alert.field.device") == "Équipement"
    assert REPORTS.words("en")("audit.section.addressing") == "IP addressing plan"
    assert ALERTS.words("fr")("audit.section.vlans") == "audit.section.vlans"  # not its area
    assert gettext_for("fr", "audit.section.vlans") == "VLAN"  # the report's names still work
    assert WEB.words("fr")("web.login.submit") == "Se connecter"
    assert WEB.words("en")("web.login.submit") == "Log in"
    assert WEB.words("fr")("alert.field.device") == "alert.field.device"  # not its area


def test_compiled_catalogs_are_shared_between_callers() -> None:
    assert ALERTS.translations("en") is Catalogs(ALERTS.locale_dir).translations("en")


def test_the_catalog_module_imports_no_area_above_it() -> None:
    code = (
        "import sys, prisme_drift.i18n, prisme_drift.notify.render\n"
        "bad = [m for m in sys.modules if m.startswith(('prisme_drift.report', "
        "'prisme_drift.collect', 'paramiko', 'netmiko'))]\n"
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_every_web_key_the_pages_use_is_in_both_catalogs() -> None:
    """French and English ids are compared in tests/notify/test_catalogs.py (area "web")."""
    files = [*WEB_DIR.glob("*.py"), *(WEB_DIR / "templates").glob("*.html")]
    used = {key for f in files for key in WEB_KEY.findall(f.read_text(encoding="utf-8"))}
    assert len(used) > 20
    for lang in ("fr", "en"):
        known = {m.id for m in WEB.read(lang) if m.id}
        assert not used - known, f"web {lang}: missing {sorted(used - known)}"
