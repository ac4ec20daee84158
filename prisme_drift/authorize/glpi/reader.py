"""Tickets from GLPI Changes, read through GLPI's REST API (``apirest.php``, GLPI 9.5 and 10.x).

One ``load()`` opens a session (``initSession`` with the user token), pages through ``/Change/``,
reads each change's linked items, tasks and approvals, and always closes the session
(``killSession``). Any HTTP, network or JSON problem makes the whole source report one problem and
no tickets: changes it would have covered then show as unauthorized, never the other way round.

Tokens are read from files at each load; they never appear in a problem, a log record or an
exception message. The mapping of GLPI fields to tickets, and the GLPI source files it was taken
from, are described in docs/glpi.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prisme_drift.authorize.glpi.client import GlpiClient, read_token
from prisme_drift.authorize.glpi.html import plain_text
from prisme_drift.authorize.glpi.mapping import (
    FINISHED_STATUSES,
    VALIDATION_ACCEPTED,
    ChangeMapper,
    SkipChange,
    change_status,
    glpi_int,
    glpi_name,
    glpi_time,
)
from prisme_drift.authorize.model import TicketStatus
from prisme_drift.authorize.sources import Loaded, parse_ticket
from prisme_drift.errors import ConfigError, GlpiError
from prisme_drift.scrub import scrub
from prisme_drift.settings_glpi import GlpiSettings
from prisme_drift.timefmt import utcnow

log = logging.getLogger(__name__)


@dataclass
class GlpiSource:
    """A TicketSource reading GLPI Changes; one session per ``load()``."""

    settings: GlpiSettings
    name: str = "glpi"
    clock: Callable[[], datetime] = utcnow

    def load(self) -> Loaded:
        """Every usable change as a ticket; on any read failure one problem and no tickets."""
        try:
            client = self._client()
        except GlpiError as exc:
            return self._failed(str(exc), [])
        try:
            loaded = _Reader(self, client).read()
        except GlpiError as exc:
            return self._failed(str(exc), client.secrets)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # a poll never stops
            message = f"GLPI {self.settings.url}: unexpected answer ({type(exc).__name__}: {exc})"
            return self._failed(message, client.secrets)
        finally:
            client.close()
        loaded.problems = [scrub(p, client.secrets) for p in loaded.problems]
        for problem in loaded.problems:
            log.warning("GLPI change ignored or not approved: %s", problem)
        log.info(
            "GLPI: %d tickets, %d problems from %s",
            len(loaded.tickets),
            len(loaded.problems),
            self.settings.url,
        )
        return loaded

    def _failed(self, message: str, secrets: list[str]) -> Loaded:
        problem = scrub(message, secrets) + "; GLPI tickets ignored until this is fixed"
        log.error("%s", problem)
        return Loaded(problems=[problem])

    def _client(self) -> GlpiClient:
        user = read_token(self.settings.user_token_file, "GLPI user token", "user_token_file")
        app = (
            read_token(self.settings.app_token_file, "GLPI App-Token", "app_token_file")
            if self.settings.app_token_file
            else None
        )
        return GlpiClient(self.settings, user_token=user, app_token=app)


class _Reader:
    """One load: the open session, the asset names read so far, the problems met."""

    def __init__(self, source: GlpiSource, client: GlpiClient) -> None:
        self.source = source
        self.settings = source.settings
        self.client = client
        self.mapper = ChangeMapper(source.settings)
        self.names: dict[tuple[str, int], str] = {}
        self.loaded = Loaded()

    def read(self) -> Loaded:
        """Open the session, then every change of ``GET /Change/``, page by page."""
        self.client.open()
        params = {"expand_dropdowns": "true", "get_hateoas": "false", "is_deleted": "false"}
        for change in self.client.pages("Change/", params):
            if not self._stale(change):
                self._add(change)
        return self.loaded

    def _stale(self, change: dict[str, Any]) -> bool:
        """A change finished (applied, closed, cancelled, refused) long ago is not read further."""
        if glpi_int(change.get("status")) not in FINISHED_STATUSES:
            return False
        modified = glpi_time(change.get("date_mod"), self.settings.tz)
        limit = timedelta(days=self.settings.finished_max_age_days)
        return modified is not None and self.source.clock() - modified > limit

    def _add(self, change: dict[str, Any]) -> None:
        """The change's ticket, or a problem saying why there is none."""
        cid = glpi_int(change.get("id"))
        where = f"GLPI change {cid} ({self.settings.web_url}/front/change.form.php?id={cid})"
        title = glpi_name(change.get("name")) or f"GLPI change {cid}"
        try:
            data = self._fields(change, cid, where, f"{title}\n{plain_text(change.get('content'))}")
            ticket = parse_ticket(
                {**data, "id": f"GLPI-{cid}", "title": title}, where, self.source.name
            )
        except SkipChange as skip:
            self.loaded.problems.append(str(skip))
        except ConfigError as exc:
            self.loaded.problems.append(str(exc))
        else:
            # the approval checks (rollback, expiry, inventory, mandate) are applied to every
            # source alike when tickets are loaded: see authorize.policy.vet
            self.loaded.tickets.append(ticket)
            self.loaded.origins[ticket.id] = where

    def _fields(self, change: dict[str, Any], cid: int, where: str, text: str) -> dict[str, Any]:
        """The ticket fields; sub-items are read only as far as the change stays usable."""
        problems = self.loaded.problems
        categories = self.mapper.categories(change, where, text)
        devices = self._devices(cid, where)
        if not devices:
            raise SkipChange(f"{where} has no linked network equipment: link the devices in GLPI")
        start, end = self.mapper.window(self._sub(cid, "ChangeTask"), where)
        return {
            "requested_by": glpi_name(change.get("users_id_recipient")),
            "devices": devices,
            "categories": categories,
            "start": start,
            "end": end,
            "rollback": plain_text(change.get("backoutplancontent")),
            **self._approval(change, cid, where),
            "mandate": self.mapper.mandate(text),
            **self.mapper.kind(text, where, problems),
        }

    def _approval(self, change: dict[str, Any], cid: int, where: str) -> dict[str, Any]:
        """The status, and for an accepted change who accepted it (``ChangeValidation``); a
        solved or closed change that was accepted keeps its approval, with its closing time."""
        status = change_status(change)
        if status == TicketStatus.CLOSED:
            return self._closed(change, cid, where)
        if status != TicketStatus.APPROVED:
            return {"status": status, "approval": None}
        approval = self.mapper.approval(self._sub(cid, "ChangeValidation", expand=True), cid)
        if approval is None:
            self.loaded.problems.append(
                f"{where} is accepted but has no accepted approval with a date: "
                "counted as not approved; have the approver answer the approval in GLPI"
            )
            return {"status": TicketStatus.DRAFT, "approval": None}
        return {"status": status, "approval": approval}

    def _closed(self, change: dict[str, Any], cid: int, where: str) -> dict[str, Any]:
        """A finished change covers what happened before it was solved (or closed, if earlier):
        with no such date it covers nothing, since nobody can say when it ended."""
        tz = self.settings.tz
        dates = [glpi_time(change.get(k), tz) for k in ("solvedate", "closedate")]
        ended = min((d for d in dates if d is not None), default=None)
        if ended is None:
            ended = glpi_time(change.get("date_mod"), tz) or self.source.clock()
            fields: dict[str, Any] = {"status": TicketStatus.CLOSED, "closed_at": ended}
            if glpi_int(change.get("global_validation")) == VALIDATION_ACCEPTED:
                self.loaded.problems.append(
                    f"{where} is finished but has neither a solve nor a close date: it covers "
                    "nothing; solve or close it again in GLPI"
                )
            return {**fields, "approval": None}
        approval = None
        if glpi_int(change.get("global_validation")) == VALIDATION_ACCEPTED:
            validations = self._sub(cid, "ChangeValidation", expand=True)
            approval = self.mapper.approval(validations, cid)
        return {"status": TicketStatus.CLOSED, "approval": approval, "closed_at": ended}

    def _sub(self, cid: int, itemtype: str, *, expand: bool = False) -> list[dict[str, Any]]:
        """Every ``itemtype`` row of change ``cid`` (``GET /Change/{id}/{itemtype}``, paged)."""
        params = {"get_hateoas": "false", "expand_dropdowns": "true" if expand else "false"}
        return list(self.client.pages(f"Change/{cid}/{itemtype}", params))

    def _devices(self, cid: int, where: str) -> list[str]:
        """Names of the change's linked assets of the wanted types (``Change_Item``)."""
        names = []
        for link in self._sub(cid, "Change_Item"):
            itemtype, items_id = str(link.get("itemtype", "")), glpi_int(link.get("items_id"))
            if itemtype not in self.settings.device_itemtypes or items_id <= 0:
                continue
            name = self._asset_name(itemtype, items_id)
            if name:
                names.append(name)
            else:
                self.loaded.problems.append(f"{where}: linked {itemtype} {items_id} has no name")
        return list(dict.fromkeys(names))

    def _asset_name(self, itemtype: str, items_id: int) -> str:
        """The asset's ``name`` (``GET /NetworkEquipment/{id}``), read once per load."""
        key = (itemtype, items_id)
        if key not in self.names:
            page = self.client.get(f"{itemtype}/{items_id}", {"get_hateoas": "false"})
            data = page.data if isinstance(page.data, dict) else {}
            self.names[key] = glpi_name(data.get("name"))
        return self.names[key]
