"""Wording of client documents: gettext catalogs managed with Babel, compiled when loaded.

The catalogs are ``locale/<lang>/LC_MESSAGES/messages.po`` beside this module; message ids are
stable keys (``audit.section.vlans``) so a missing translation shows as a key, never as the
wrong language. The ``.po`` files are compiled to ``.mo`` in memory at first use: a release needs
no build step, and an edited catalog is taken as is.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from prisme_drift.errors import ConfigError

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("fr", "en")


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of a language."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str) -> Catalog:
    """The Babel catalog of a language; ConfigError for a language prisme-drift does not ship."""
    if lang not in LANGUAGES:
        raise ConfigError(f"language {lang!r} is not available; use one of {', '.join(LANGUAGES)}")
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of a language, ready for Jinja2's ``install_gettext_translations``."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(lang), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str, key: str, **params: object) -> str:
    """One message translated and formatted (for Python callers: file names, CLI lines)."""
    text = translations(lang).gettext(key)
    return text % params if params else text
