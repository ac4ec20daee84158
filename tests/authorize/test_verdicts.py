"""Verdicts: device, status, category, window and mandate, each with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from prisme_drift.authorize import DeviceRef, Ticket, judge, upcoming_windows
from prisme_drift.authorize.model import Approval, TicketKind, TicketStatus
from prisme_drift.models import Category

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SW = DeviceRef(name="sw-imagerie", groups=("switches",))
SIRONA = DeviceRef(name="orthophos", groups=("imaging",), restricted="Dentsply Sirona")


def ticket(**kw: object) -> Ticket:
    data: dict[str, object] = {
        "id": "CHG-1",
        "title": "VLAN imagerie",
        "devices": ("sw-imagerie",),
        "categories": (Category.VLAN,),
        "start": T0,
        "end": T0 + timedelta(hours=4),
        "rollback": "no vlan 40",
        "status": TicketStatus.APPROVED,
        "approval": Approval(by="Dr Dupont", at=T0 - timedelta(days=1), ref="mail 30/11"),
    }
    data.update(kw)
    return Ticket.model_validate(data)


def test_inside_window_and_scope_is_authorized() -> None:
    v = judge(Category.VLAN, SW, T0 + timedelta(minutes=30), T0 + timedelta(hours=1), [ticket()])
    assert v.authorized and v.ticket_id == "CHG-1" and v.reason is None


def test_interval_overlapping_the_window_edge_is_authorized() -> None:
    # last good poll before the window, change seen just after it opened
    v = judge(Category.VLAN, SW, T0 - timedelta(minutes=15), T0 + timedelta(minutes=1), [ticket()])
    assert v.authorized


def test_after_the_window_is_outside_window() -> None:
    v = judge(Category.VLAN, SW, T0 + timedelta(hours=5), T0 + timedelta(hours=6), [ticket()])
    assert (v.verdict, v.reason, v.ticket_id) == ("unauthorized", "outside_window", "CHG-1")


def test_other_category_is_category_not_in_scope() -> None:
    v = judge(Category.INTERFACE, SW, T0, T0 + timedelta(hours=1), [ticket()])
    assert v.reason == "category_not_in_scope"


def test_no_ticket_at_all() -> None:
    assert judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), []).reason == "no_ticket"


def test_ticket_for_another_device_only() -> None:
    other = ticket(devices=("sw-accueil",))
    v = judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), [other])
    assert v.reason == "device_not_in_scope"
    unrelated = ticket(devices=("sw-accueil",), categories=(Category.NAT,))
    assert judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), [unrelated]).reason == "no_ticket"


def test_group_scope_covers_its_members() -> None:
    by_group = ticket(devices=(), groups=("switches",))
    assert judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), [by_group]).authorized


def test_draft_ticket_is_not_approved() -> None:
    draft = ticket(status=TicketStatus.DRAFT, approval=None)
    v = judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), [draft])
    assert v.reason == "ticket_not_approved"


def test_restricted_device_needs_a_mandate() -> None:
    t = ticket(devices=("orthophos",), categories=(Category.ADDRESSING,))
    v = judge(Category.ADDRESSING, SIRONA, T0, T0 + timedelta(hours=1), [t])
    assert v.reason == "mandate_missing"
    assert judge(Category.ADDRESSING, SIRONA, T0, T0 + timedelta(hours=1), []).reason == (
        "mandate_missing"
    )
    with_mandate = ticket(
        devices=("orthophos",), categories=(Category.ADDRESSING,), mandate="MANDAT-DS-2026-07"
    )
    assert judge(
        Category.ADDRESSING, SIRONA, T0, T0 + timedelta(hours=1), [with_mandate]
    ).authorized


def test_best_ticket_wins_among_several() -> None:
    tickets = [ticket(id="A", categories=(Category.NAT,)), ticket(id="B")]
    v = judge(Category.VLAN, SW, T0, T0 + timedelta(hours=1), tickets)
    assert v.authorized and v.ticket_id == "B"


def test_bad_tickets_are_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError, match="before it starts"):
        ticket(end=T0 - timedelta(hours=1))
    with pytest.raises(ValidationError, match="timezone"):
        ticket(start=datetime(2026, 12, 1, 8, 0))
    with pytest.raises(ValidationError, match="scope"):
        ticket(devices=())
    with pytest.raises(ValidationError, match="only a transitional"):
        ticket(expires_at=T0 + timedelta(days=30))


def test_approval_problems() -> None:
    assert ticket().approval_problems({}) == []
    problems = ticket(rollback="", kind=TicketKind.TRANSITIONAL).approval_problems(
        {"orthophos": "Dentsply Sirona"}
    )
    assert any("rollback" in p for p in problems)
    assert any("expiry" in p for p in problems)
    assert any("Dentsply Sirona" in p and "mandate" in p for p in problems)


def test_upcoming_windows() -> None:
    tickets = [
        ticket(id="A"),
        ticket(id="B", start=T0 + timedelta(days=10), end=T0 + timedelta(days=10, hours=1)),
        ticket(id="C", status=TicketStatus.DRAFT, approval=None),
    ]
    edges = upcoming_windows(tickets, T0 - timedelta(hours=1))
    assert [(e.ticket_id, e.edge) for e in edges] == [("A", "start"), ("A", "end")]


def test_closed_ticket_still_covers_its_window_cancelled_does_not() -> None:
    seen = T0 + timedelta(hours=1)
    closed = ticket(status=TicketStatus.CLOSED, closed_at=T0 + timedelta(hours=2))
    assert judge(Category.VLAN, SW, T0, seen, [closed]).authorized
    cancelled = ticket(status=TicketStatus.CANCELLED)
    assert judge(Category.VLAN, SW, T0, seen, [cancelled]).reason == "ticket_not_approved"


CLOSE = T0 + timedelta(hours=1)  # closed one hour into its four-hour window


@pytest.mark.parametrize(
    ("after", "seen", "authorized"),
    [
        (T0 + timedelta(minutes=30), T0 + timedelta(minutes=45), True),  # wholly before
        (T0 + timedelta(minutes=30), CLOSE, True),  # seen at the very closing: before it
        (T0 + timedelta(minutes=50), CLOSE + timedelta(seconds=1), False),  # straddles it
        (CLOSE, CLOSE + timedelta(minutes=15), False),  # wholly after, inside the window
        (CLOSE + timedelta(hours=1), CLOSE + timedelta(hours=2), False),
    ],
)
def test_closed_ticket_covers_only_what_was_seen_by_its_closing(
    after: datetime, seen: datetime, authorized: bool
) -> None:
    closed = ticket(status=TicketStatus.CLOSED, closed_at=CLOSE)
    v = judge(Category.VLAN, SW, after, seen, [closed])
    assert v.authorized is authorized
    if not authorized:
        assert (v.reason, v.ticket_id) == ("ticket_closed", "CHG-1")


def test_closed_ticket_needs_its_closing_time() -> None:
    with pytest.raises(ValidationError, match="closed_at"):
        ticket(status=TicketStatus.CLOSED)
    with pytest.raises(ValidationError, match="only a closed ticket"):
        ticket(closed_at=CLOSE)


def test_ticket_closed_before_the_window_ends_is_not_another_devices_ticket() -> None:
    closed = ticket(devices=("other",), status=TicketStatus.CLOSED, closed_at=CLOSE)
    v = judge(Category.VLAN, SW, CLOSE, CLOSE + timedelta(minutes=5), [closed])
    assert v.reason == "no_ticket"  # closed: it covers that moment for no device


def test_transitional_expiry_not_silenced_by_a_definitive_ticket_closed_before() -> None:
    from prisme_drift.drift.transitional import made_definitive
    from prisme_drift.store.models import DriftItem

    transitional = ticket(
        id="T",
        kind=TicketKind.TRANSITIONAL,
        start=T0 + timedelta(hours=2),
        end=T0 + timedelta(hours=3),
        expires_at=T0 + timedelta(days=1),
    )
    item = DriftItem(category="vlan", ticket_id="T")
    open_definitive = ticket(id="D", end=T0 + timedelta(hours=4))
    assert made_definitive(item, [open_definitive], SW, transitional)
    closed_early = ticket(id="D", status=TicketStatus.CLOSED, closed_at=CLOSE)
    assert not made_definitive(item, [closed_early], SW, transitional)


def test_restricted_device_reason_is_mandate_first() -> None:
    draft = ticket(devices=("orthophos",), status=TicketStatus.DRAFT, approval=None)
    seen = T0 + timedelta(hours=1)
    assert judge(Category.VLAN, SIRONA, T0, seen, [draft]).reason == "mandate_missing"
    draft_with_mandate = ticket(
        devices=("orthophos",), status=TicketStatus.DRAFT, approval=None, mandate="M-1"
    )
    assert judge(Category.VLAN, SIRONA, T0, seen, [draft_with_mandate]).reason == (
        "ticket_not_approved"
    )
