"""Golden renderings: every alert, in French and English, byte for byte as committed.

The files in ``golden/`` were produced by the renderer before its wording moved into catalogs
and templates; a change of wording or layout must show up here as a reviewed diff. To accept an
intended change, run once with ``PRISME_UPDATE_GOLDEN=1`` and commit the files it rewrote.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prisme_drift.notify.render import render_drift_alert, render_notification
from prisme_drift.notify.webhook import payload
from tests.notify.golden_cases import CONFIG, Case, cases, demo_item, wording

GOLDEN = Path(__file__).parent / "golden"
LANGS = ("fr", "en")
UPDATE = os.environ.get("PRISME_UPDATE_GOLDEN") == "1"


def _check(name: str, rendered: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(rendered.encode("utf-8"))
    expected = path.read_bytes().decode("utf-8")
    assert rendered == expected, f"{name} differs from the golden file"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_email_is_rendered_as_committed(case: Case, lang: str) -> None:
    message = render_notification(case.notification, case.wording(lang))
    _check(f"{case.name}.{lang}.txt", f"Subject: {message.subject}\n\n{message.body}")
    _check(f"{case.name}.{lang}.html", message.html)


@pytest.mark.parametrize("lang", LANGS)
def test_webhook_texts_are_rendered_as_committed(lang: str) -> None:
    """Each event's own text (``event_text``) rides in the webhook body."""
    by_name = {c.name: c for c in cases()}
    body = payload(by_name["digest"].notification, wording(lang))
    texts = {f"{e['kind']} #{e['id']}": e["text"] for e in body["events"]}
    _check(f"webhook.{lang}.json", json.dumps(texts, ensure_ascii=False, indent=1) + "\n")


@pytest.mark.parametrize("lang", LANGS)
def test_demo_alert_is_rendered_as_committed(lang: str) -> None:
    message = render_drift_alert(
        demo_item(), lang=lang, timezone="Indian/Reunion", config_hint=f" -c {CONFIG}"
    )
    _check(f"demo.{lang}.txt", f"Subject: {message.subject}\n\n{message.body}")


def test_every_event_kind_has_a_golden_file() -> None:
    from prisme_drift.notify.render import SECTIONS

    covered = {e.kind for c in cases() for e in c.notification.events}
    assert covered == set(SECTIONS)
    assert {c.notification.kind for c in cases()} == {"events", "digest", "test"}
