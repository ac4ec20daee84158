"""Wording of everything a person reads: gettext catalogs managed with Babel, one per area.

One mechanism, several catalogs. Each area that words things for people keeps its catalog
beside its templates, ``<area>/locale/<lang>/LC_MESSAGES/messages.po``:

- ``notify/locale``: alert emails and webhook texts (ids ``alert.*``), read by IT;
- ``report/locale``: client documents (ids ``doc.*``, ``audit.*``, ...), read by the clinic.

Why one catalog per area rather than one shared file: the two audiences are worded
differently (an alert's "Équipement" and a document's "Équipement" need not move together), a
catalog changes with the templates beside it, and the areas' ids never clash because each has
its own prefix. This module is the only code that reads catalogs; it imports nothing above it,
so ``notify`` and ``report`` both build on it.

Message ids are stable keys (``alert.subject.drift_opened``), so a missing translation shows as
a key, never as the wrong language; a plural's second id is the first one plus ``_plural``.
Placeholders are Python's ``%(name)s`` (what Jinja2's i18n extension uses too). The ``.po`` files
are compiled to ``.mo`` in memory at first use: a release needs no build step.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from prisme_drift.errors import ConfigError

DOMAIN = "messages"
LANGUAGES = ("fr", "en")
PLURAL_SUFFIX = "_plural"


def check_language(lang: str) -> str:
    """``lang`` itself; ConfigError for a language prisme-drift does not ship."""
    if lang not in LANGUAGES:
        raise ConfigError(f"language {lang!r} is not available; use one of {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=16)
def _compiled(locale_dir: Path, lang: str) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, Catalogs(locale_dir).read(lang), use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Catalogs:
    """The catalogs of one area: one ``.po`` file per language under ``locale_dir``."""

    locale_dir: Path

    def path(self, lang: str) -> Path:
        """The ``.po`` file of a language."""
        return self.locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"

    def read(self, lang: str) -> Catalog:
        """The Babel catalog of a language (for tests and tooling)."""
        with self.path(check_language(lang)).open("rb") as handle:
            return read_po(handle, locale=lang, domain=DOMAIN)

    def translations(self, lang: str) -> gettext.GNUTranslations:
        """The compiled catalog, ready for Jinja2's ``install_gettext_translations``."""
        return _compiled(self.locale_dir, check_language(lang))

    def words(self, lang: str) -> Words:
        """The wording of one language, for Python callers."""
        return Words(self.translations(lang))


@dataclass(frozen=True)
class Words:
    """One language's messages, looked up by key and formatted with ``%(name)s`` params."""

    translations: gettext.GNUTranslations

    def __call__(self, key: str, **params: object) -> str:
        """One message, translated and formatted."""
        text = self.translations.gettext(key)
        return text % params if params else text

    def plural(self, key: str, num: int, **params: object) -> str:
        """The form of ``key`` (or ``key_plural``) for ``num``; ``%(num)s`` is available."""
        text = self.translations.ngettext(key, key + PLURAL_SUFFIX, num)
        return text % {"num": num, **params}

    def label(self, prefix: str, name: str) -> str:
        """The message ``prefix.name``, or ``name`` itself when the catalog has no such key
        (a value newer than the catalog stays readable)."""
        key = f"{prefix}.{name}"
        text = self.translations.gettext(key)
        return name if text == key else text
