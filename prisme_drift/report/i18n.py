"""Wording of client documents: the report area's gettext catalogs (``report/locale``).

The mechanism (reading ``.po`` files with Babel, compiling them in memory, looking messages up)
is :mod:`prisme_drift.i18n`, shared with the alert emails; this module names the report's own
catalogs and keeps the functions report code and templates already use.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.catalog import Catalog

from prisme_drift.i18n import DOMAIN, LANGUAGES, Catalogs

__all__ = [
    "CATALOGS",
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "catalog_path",
    "gettext_for",
    "read_catalog",
    "translations",
]

LOCALE_DIR = Path(__file__).parent / "locale"
CATALOGS = Catalogs(LOCALE_DIR)


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of a language."""
    return CATALOGS.path(lang)


def read_catalog(lang: str) -> Catalog:
    """The Babel catalog of a language; ConfigError for a language prisme-drift does not ship."""
    return CATALOGS.read(lang)


def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of a language, ready for Jinja2's ``install_gettext_translations``."""
    return CATALOGS.translations(lang)


def gettext_for(lang: str, key: str, **params: object) -> str:
    """One message translated and formatted (for Python callers: file names, CLI lines)."""
    return CATALOGS.words(lang)(key, **params)
