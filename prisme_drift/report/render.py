"""The one document pipeline: view model -> Jinja2 HTML (gettext wording) -> WeasyPrint PDF.

Every client document (audit, monthly summary, intervention report) goes through here, so page
layout, styles, fonts, the provider's identity and page numbers are the same everywhere.

- Templates: ``report/templates`` in the package, behind the site's ``[report] templates``
  folder: a provider restyles documents by dropping ``report.css`` (replaces ours),
  ``custom.css`` (added after ours) or any page template there, without touching Python.
- Wording: gettext catalogs (``report/i18n.py``), French by default.
- PDF: WeasyPrint, A4, fonts embedded (DejaVu from the Debian package ``fonts-dejavu-core``).
  The HTML carries its CSS, SVG and logo inline, so it is readable on its own.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError, OperationalError
from prisme_drift.report.i18n import LANGUAGES, translations
from prisme_drift.report.topology import short_port

log = logging.getLogger(__name__)

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("pdf", "html")
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


@dataclass(frozen=True)
class Branding:
    """The provider printed on every document; ``logo`` is a data URI (HTML stays standalone)."""

    provider: str = "PRISME"
    address: str = ""
    contact: str = ""
    logo: str | None = None


@dataclass(frozen=True)
class RenderOptions:
    """How to render one document: language, timezone, formats, folders, branding."""

    lang: str = "fr"
    timezone: str = "UTC"
    formats: tuple[str, ...] = FORMATS
    out_dir: Path = Path("reports")
    templates_dir: Path | None = None
    branding: Branding = Branding()


def parse_formats(text: str) -> tuple[str, ...]:
    """``pdf,html`` -> ("pdf", "html"); ConfigError naming the unknown format."""
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(
            f"--format {text!r}: unknown format {', '.join(unknown) or '(none)'}; "
            f"use pdf, html or pdf,html"
        )
    return formats


def _logo_uri(settings: Settings) -> str | None:
    if settings.report.logo is None:
        return None
    path = settings.resolve(settings.report.logo)
    kind = LOGO_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"{settings.source}: [report] logo {path.name!r}: use a PNG, JPEG or SVG file"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{settings.source}: [report] logo {path}: cannot read it ({exc.strerror}); "
            "fix the path or remove the key"
        ) from exc
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def options_from(
    settings: Settings,
    *,
    lang: str | None = None,
    formats: Sequence[str] = FORMATS,
    out_dir: Path | None = None,
) -> RenderOptions:
    """Render options from the site's ``[report]`` settings and the command's options."""
    report = settings.report
    branding = Branding(
        provider=report.provider,
        address=report.provider_address,
        contact=report.provider_contact,
        logo=_logo_uri(settings),
    )
    templates = settings.resolve(report.templates)
    return RenderOptions(
        lang=lang or report.language,
        timezone=settings.site.timezone,
        formats=tuple(formats),
        out_dir=out_dir or settings.resolve(report.output),
        templates_dir=templates if templates.is_dir() else None,
        branding=branding,
    )


def environment(options: RenderOptions) -> jinja2.Environment:
    """The Jinja2 environment: site overrides first, autoescape, gettext, format filters."""
    if options.lang not in LANGUAGES:
        raise ConfigError(f"--lang {options.lang!r}: use one of {', '.join(LANGUAGES)}")
    folders = [str(options.templates_dir)] if options.templates_dir else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, str(PACKAGE_TEMPLATES)]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(options.lang), newstyle=True)  # type: ignore[attr-defined]
    zone = ZoneInfo(options.timezone)
    env.filters["datetime"] = lambda v: _when(v, zone, options.lang, "d MMMM y HH:mm")
    env.filters["date"] = lambda v: "" if v is None else format_date(v, "long", locale=options.lang)
    env.filters["number"] = lambda v: format_decimal(v, locale=options.lang)
    env.filters["uptime"] = lambda v: _uptime(v, options.lang)
    env.filters["cssstr"] = _css_string
    env.filters["short_port"] = short_port
    env.globals["branding"] = options.branding
    env.globals["lang"] = options.lang
    return env


def _when(value: datetime | None, zone: ZoneInfo, lang: str, style: str) -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(zone), style, locale=lang)


def _uptime(seconds: int | None, lang: str) -> str:
    if seconds is None:
        return ""
    return format_timedelta(timedelta(seconds=seconds), threshold=1.2, locale=lang)


def _css_string(value: object) -> str:
    """Text safe inside a double-quoted CSS string."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def render_html(template: str, context: Mapping[str, Any], options: RenderOptions) -> str:
    """One document as standalone HTML."""
    try:
        return environment(options).get_template(template).render(**context)
    except jinja2.TemplateError as exc:
        where = options.templates_dir or PACKAGE_TEMPLATES
        raise ConfigError(
            f"template {template!r} (from {where}) cannot be rendered: {exc}; fix or remove "
            "the site's override"
        ) from exc


def html_to_pdf(html: str) -> bytes:
    """Print HTML to an A4 PDF with WeasyPrint (fonts embedded)."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except OSError as exc:  # Pango missing: WeasyPrint fails at import time
        raise OperationalError(
            f"WeasyPrint cannot load its system libraries ({exc}); install them with "
            f"'apt-get install -y {PANGO_PACKAGES}' (docs/deployment.md)"
        ) from exc
    pdf: bytes = weasyprint.HTML(string=html, base_url=str(PACKAGE_TEMPLATES)).write_pdf()
    return pdf


def write_document(
    stem: str, template: str, context: Mapping[str, Any], options: RenderOptions
) -> dict[str, Path]:
    """Render and write ``<stem>.pdf`` / ``<stem>.html``; all or nothing (no partial file)."""
    html = render_html(template, context, options)
    payloads: dict[str, bytes] = {}
    if "html" in options.formats:
        payloads["html"] = html.encode("utf-8")
    if "pdf" in options.formats:
        payloads["pdf"] = html_to_pdf(html)
    return _write_all(options.out_dir, stem, payloads)


def _write_all(folder: Path, stem: str, payloads: Mapping[str, bytes]) -> dict[str, Path]:
    written: dict[str, Path] = {}
    temps: list[tuple[str, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for fmt, data in payloads.items():
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".tmp")
            temps.append((fmt, Path(name)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for fmt, tmp in temps:
            target = folder / f"{stem}.{fmt}"
            tmp.chmod(0o644)
            os.replace(tmp, target)
            written[fmt] = target
    except OSError as exc:
        raise OperationalError(
            f"cannot write the report into {folder}: {exc.strerror}; check the folder "
            "([report] output or --out) and free space"
        ) from exc
    finally:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
    log.info("report written: %s", ", ".join(str(p) for p in written.values()))
    return written
