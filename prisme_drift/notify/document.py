"""The view model of an alert and its templates: blocks in, subject, plain text and HTML out.

An alert is a short list of *blocks* (heading, paragraph, fields, code lines) that the section
builders (``notify/sections/``) fill with words from the catalogs; the same blocks go through
two Jinja2 templates, ``email.txt`` and ``email.html``, so the two parts of an email never
disagree. The subject goes through ``email_subject.txt`` (the ``[prisme-drift]`` prefix).

Templates live in ``notify/templates`` behind the site's ``[notify] templates`` folder (the same
folder as ``[report] templates`` by default): a provider restyles an email (logo, address,
colours) by dropping its own ``email.html`` there, without touching Python. A template that
fails to render is a DeliveryError naming the override, so the outbox keeps the alert and
retries it once the template is fixed.

HTML escaping uses :func:`html.escape` on every ``{{ }}`` output (``|safe`` opts out), rather
than Jinja2's autoescape, so the HTML part is byte for byte what it was before templates.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import jinja2
from markupsafe import Markup

from prisme_drift.i18n import Catalogs, Words
from prisme_drift.notify.notifier import DeliveryError, Wording

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
CATALOGS = Catalogs(Path(__file__).parent / "locale")
TEXT_TEMPLATE = "email.txt"
HTML_TEMPLATE = "email.html"
SUBJECT_TEMPLATE = "email_subject.txt"


@dataclass(frozen=True)
class Heading:
    """A section title (underlined in plain text)."""

    text: str
    kind: ClassVar[str] = "heading"


@dataclass(frozen=True)
class Para:
    """A paragraph."""

    text: str
    kind: ClassVar[str] = "para"


@dataclass(frozen=True)
class Fields:
    """Label/value rows (``label : value`` in plain text, a table in HTML)."""

    rows: tuple[tuple[str, str], ...]
    kind: ClassVar[str] = "fields"


@dataclass(frozen=True)
class Code:
    """Lines shown verbatim: a diff, commands (``+``/``-`` lines are coloured in HTML)."""

    lines: tuple[str, ...]
    kind: ClassVar[str] = "code"


Block = Heading | Para | Fields | Code


@dataclass(frozen=True)
class Provider:
    """The provider's identity from ``[report]``, for site templates (the shipped ones omit it)."""

    name: str = ""
    address: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Message:
    """A rendered alert: subject and plain text (``html`` for email)."""

    subject: str
    body: str
    html: str = ""


def words(lang: str) -> Words:
    """The alert wording of a language."""
    return CATALOGS.words(lang)


def _escape(value: Any) -> Any:
    """What ``{{ }}`` prints in HTML templates: escaped unless marked safe."""
    if isinstance(value, Markup):
        return value
    return html.escape(str(value))


@lru_cache(maxsize=16)
def _environment(templates: str, lang: str, for_html: bool) -> jinja2.Environment:
    folders = [templates] if templates else []
    env = jinja2.Environment(  # noqa: S701 -- HTML is escaped by finalize (docstring)
        loader=jinja2.FileSystemLoader([*folders, str(PACKAGE_TEMPLATES)]),
        finalize=_escape if for_html else None,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(CATALOGS.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_template(name: str, wording: Wording, **context: Any) -> str:
    """One email template rendered; DeliveryError naming the site override when it fails."""
    env = _environment(wording.templates, wording.language, name.endswith(".html"))
    provider = Provider(wording.provider, wording.provider_address, wording.provider_contact)
    try:
        return env.get_template(name).render(lang=wording.language, provider=provider, **context)
    except jinja2.TemplateError as exc:
        where = wording.templates or str(PACKAGE_TEMPLATES)
        raise DeliveryError(
            f"email template {name!r} (from {where}) cannot be rendered: {exc}",
            kind="template",
            fix="fix or remove the site's override ([notify] templates, docs/alerts.md)",
        ) from exc


def _one_line(text: str) -> str:
    """Header-safe: no line breaks."""
    return " ".join(str(text).split())


def subject_line(text: str, wording: Wording) -> str:
    """The full subject (``[prisme-drift] ...``), on one line."""
    return _one_line(render_template(SUBJECT_TEMPLATE, wording, subject=text))


def to_text(blocks: Sequence[Block], wording: Wording) -> str:
    """Plain text: headings underlined, fields one per line, code indented by four spaces."""
    text = render_template(TEXT_TEMPLATE, wording, blocks=blocks)
    return text.strip("\n") + "\n"


def to_html(blocks: Sequence[Block], wording: Wording, subject: str) -> str:
    """A small self-contained HTML document (inline styles: mail clients drop style sheets)."""
    return render_template(HTML_TEMPLATE, wording, blocks=blocks, subject=subject) + "\n"
