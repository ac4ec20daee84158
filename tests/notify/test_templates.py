"""A provider restyles alert emails with its own templates, without touching Python; the email
goes through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prisme_drift.config import Settings, load_settings
from prisme_drift.notify.check import check_channels
from tests.notify.conftest import SmtpServer

BRANDED_HTML = """{% extends "email_layout.html" %}
{% block header %}<p class="masthead">{{ provider.name }} &middot; {{ provider.address }}</p>
{%- endblock %}
{% block footer %}<p>{{ provider.contact }}</p>{% endblock %}
"""


def site(folder: Path, server: SmtpServer, notify: str = "") -> Settings:
    config = folder / "prisme-drift.toml"
    config.write_text(
        '[site]\nname = "cabinet-dupont"\n'
        '[report]\nprovider = "PRISME <Réunion>"\n'
        'provider_address = "12 rue de la Digue, 97400 Saint-Denis"\n'
        'provider_contact = "support@prisme.re"\n' + notify + server.toml(folder),
        encoding="utf-8",
    )
    return load_settings(config)


def test_site_templates_restyle_the_email(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("none", auth=False)
    settings = site(tmp_path, server)
    (plain,) = check_channels(settings)
    assert plain.ok, plain
    templates = tmp_path / "templates"  # the default [notify] templates folder
    templates.mkdir()
    (templates / "email.html").write_text(BRANDED_HTML, encoding="utf-8")
    (templates / "email_subject.txt").write_text("[PRISME] {{ subject }}", encoding="utf-8")
    (branded,) = check_channels(settings)
    assert branded.ok, branded
    before, after = server.received
    assert before.subject == "[prisme-drift] cabinet-dupont : courriel de test"
    assert after.subject == "[PRISME] cabinet-dupont : courriel de test"
    assert "masthead" not in before.html and "12 rue de la Digue" not in before.everything()
    assert (
        '<body style="font-family:sans-serif;font-size:14px;color:#1f2328">'
        '<p class="masthead">PRISME &lt;Réunion&gt; &middot; 12 rue de la Digue, 97400 '
        "Saint-Denis</p><h2" in after.html
    )
    assert "<p>support@prisme.re</p></body></html>" in after.html
    assert "Courriel de test" in after.html  # the shipped layout still renders the blocks
    assert after.text == before.text  # email.txt was not overridden


def test_a_templates_folder_named_in_the_settings_is_used(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    server = smtp_server("none", auth=False)
    elsewhere = tmp_path / "provider-look"
    elsewhere.mkdir()
    (elsewhere / "email.txt").write_text(
        '{% for b in blocks if b.kind == "heading" %}{{ b.text }}\n{% endfor %}'
        "Signé : {{ provider.name }}\n",
        encoding="utf-8",
    )
    settings = site(tmp_path, server, notify='[notify]\ntemplates = "provider-look"\n')
    (result,) = check_channels(settings)
    assert result.ok, result
    (received,) = server.received
    assert received.text.strip() == "Courriel de test\nSigné : PRISME <Réunion>"
    assert "Courriel de test" in received.html  # email.html is still the shipped one


def test_a_broken_site_template_fails_the_delivery_and_names_itself(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer]
) -> None:
    """The outbox keeps the alert (a DeliveryError is retried) and the fix is printed."""
    server = smtp_server("none", auth=False)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "email.html").write_text(
        '{% extends "email_layout.html" %}{% block header %}{{ logo_url }}{% endblock %}'
    )
    (result,) = check_channels(site(tmp_path, server))
    assert not result.ok
    assert result.kind == "template"
    assert "'email.html'" in result.detail and str(templates) in result.detail
    assert "logo_url" in result.detail
    assert "[notify] templates" in result.fix
    assert server.received == []
