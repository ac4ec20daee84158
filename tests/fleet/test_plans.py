"""Change plans, the rules without a database: the site's ticket rules, the canonical JSON and
its hash, and the plain-language text the client reads."""

from __future__ import annotations

from typing import Any

import pytest

from prisme_drift.errors import ConfigError
from prisme_drift.fleet.plans import canonical, canonical_json, plan_problems, plan_sha256, validate
from prisme_drift.fleet.plantext import plan_text

TZ = "Indian/Reunion"  # +04:00, no daylight saving


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "WEB-1",
        "title": "VLAN imagerie pour le nouveau CBCT",
        "requested_by": "Dr Martin",
        "devices": ["sw01"],
        "categories": ["vlan", "interface"],
        "start": "2026-12-10T08:00",
        "end": "2026-12-10T12:00",
        "rollback": "no vlan 40; Gi1/0/3 back to vlan 20",
        "kind": "definitive",
    }
    data.update(changes)
    return data


def problems_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        validate(data, TZ)
    return str(caught.value)


def test_the_site_ticket_rules_apply_to_a_plan() -> None:
    assert "before it starts" in problems_of(form(end="2026-12-10T07:00"))
    assert "needs a scope" in problems_of(form(devices=[]))
    assert "only a transitional ticket has an expiry" in problems_of(
        form(expires_at="2026-12-20T08:00")
    )
    assert "categories" in problems_of(form(categories=["teleportation"]))
    assert "start: 'demain' is not a date and time" in problems_of(form(start="demain"))


def test_times_without_offset_are_the_sites_and_are_stored_in_utc() -> None:
    plan = canonical(validate(form(), TZ))
    assert plan["start"] == "2026-12-10T04:00:00+00:00"
    assert plan["end"] == "2026-12-10T08:00:00+00:00"
    assert plan["expires_at"] is None and plan["mandate"] is None
    assert sorted(plan) == sorted(
        ["id", "title", "requested_by", "devices", "groups", "whole_site", "categories",
         "start", "end", "rollback", "kind", "expires_at", "mandate"]
    )  # fmt: skip


def test_the_hash_covers_the_content_and_the_site_not_the_way_times_were_written() -> None:
    local = canonical(validate(form(), TZ))
    paris = canonical(validate(form(start="2026-12-10T05:00+01:00", end="2026-12-10T08:00Z"), TZ))
    assert plan_sha256("clinic-a", local) == plan_sha256("clinic-a", paris)
    assert plan_sha256("clinic-a", local) != plan_sha256("clinic-b", local)
    wider = canonical(validate(form(end="2026-12-10T12:01"), TZ))
    assert plan_sha256("clinic-a", wider) != plan_sha256("clinic-a", local)
    text = canonical_json("clinic-a", local)
    assert text.startswith('{"plan":{"categories":["vlan","interface"],') and " " not in text[:40]
    assert text.endswith(',"site":"clinic-a"}')


def test_what_the_web_can_judge_before_approval() -> None:
    assert plan_problems(validate(form(), TZ)) == []
    no_rollback = plan_problems(validate(form(rollback=" "), TZ))
    assert no_rollback == ["no rollback plan (--rollback TEXT): policy rule 2 requires one"]
    open_ended = plan_problems(validate(form(kind="transitional"), TZ))
    assert any("transitional change needs an expiry" in p for p in open_ended)
    early = validate(form(kind="transitional", expires_at="2026-12-10T11:00"), TZ)
    assert any("expiry must come after the end" in p for p in plan_problems(early))


def test_the_plan_text_is_french_by_default_in_the_sites_time() -> None:
    plan = canonical(
        validate(
            form(kind="transitional", expires_at="2026-12-24T18:00", mandate="MAND-2026-7"), TZ
        )
    )
    text = plan_text(plan, timezone=TZ)
    assert text.startswith("Plan de changement WEB-1 : VLAN imagerie pour le nouveau CBCT")
    assert "Ce qui va changer : les réseaux virtuels (VLAN), les ports" in text
    assert "- l'équipement sw01" in text  # one device: singular
    two = plan_text({**plan, "devices": ["sw01", "sw02"]}, timezone=TZ)
    assert "- les équipements sw01, sw02" in two
    # 04:00 UTC is 08:00 on the site (Indian/Reunion, +04:00)
    assert "du jeudi 10 décembre 2026 à 08:00 au jeudi 10 décembre 2026 à 12:00" in text
    assert "(heure du site, Indian/Reunion)" in text
    assert "Comment revenir en arrière si besoin : no vlan 40; Gi1/0/3 back to vlan 20" in text
    assert "au plus tard le jeudi 24 décembre 2026 à 18:00" in text
    assert "MAND-2026-7" in text and "Demandé par : Dr Martin" in text
    english = plan_text(plan, "en", "Europe/Paris")
    assert "from Thursday 10 December 2026 at 05:00 to Thursday 10 December 2026 at 09:00" in (
        english
    )
    assert "web.plan" not in text + english  # every message is in both catalogs


def test_the_text_of_a_definitive_whole_site_plan() -> None:
    plan = canonical(validate(form(devices=[], whole_site=True, groups=["switches"]), TZ))
    text = plan_text(plan, timezone=TZ)
    assert "- tout le site\n- les équipements des groupes switches" in text
    assert "Ce changement est définitif." in text and "Mandat" not in text
