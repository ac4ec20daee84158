"""What a site copies for the web page: each device's latest structured state, and the bytes of
its documents (audit, monthly, intervention PDFs and HTML).

Both are compared with what the central database already holds, by SHA-256, so a state or a
document is copied once per content and a sync cut short resumes with what is still missing (no
watermark: the central rows are the record). Reads only: the site's baseline and report folder
are never written, so no lock is taken.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from prisme_drift.baseline.store import OBSERVED, BaselineRepo, state_path
from prisme_drift.errors import BaselineError
from prisme_drift.fleet import schema
from prisme_drift.fleet.sources import documents
from prisme_drift.state.store import parse_state
from prisme_drift.store.models import Device
from prisme_drift.timefmt import parse_iso

log = logging.getLogger(__name__)

#: Device states per central transaction (a state is a few to a few hundred kilobytes).
STATE_BATCH = 100
#: Bytes of documents per central transaction (one bigger document goes alone).
CONTENT_BATCH_BYTES = 32 * 1024 * 1024


def copied_states(connection: Connection, site: str) -> dict[int, str]:
    """The SHA-256 of each device state the central database holds for ``site``."""
    table = schema.device_states
    query = select(table.c.device_id, table.c.sha256).where(table.c.site == site)
    return {int(device_id): sha for device_id, sha in connection.execute(query)}


def device_states(
    baseline: Path, session: Session, site: str, copied: dict[int, str]
) -> list[dict[str, Any]]:
    """Rows of ``device_states`` whose ``<device>.state.json`` on ``observed`` differs from the
    copy (``copied``: device id -> SHA-256). A state file that is not valid is left out with a
    warning naming it; a device the store does not know (no id) is left out."""
    if not (baseline / "HEAD").is_file():
        return []  # no baseline yet: never create one from a sync
    ids = dict(session.execute(select(Device.name, Device.id).where(Device.site == site)).all())
    rows = []
    with BaselineRepo(baseline, site) as repo:
        for device in repo.state_devices(OBSERVED):
            text = repo.read_state(OBSERVED, device)
            device_id = ids.get(device)
            if text is None or device_id is None:
                continue
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if copied.get(device_id) == sha:
                continue
            row = _state_row(site, device, device_id, text, sha)
            if row is not None:
                rows.append(row)
    return rows


def _state_row(
    site: str, device: str, device_id: int, text: str, sha: str
) -> dict[str, Any] | None:
    where = f"{OBSERVED}:{state_path(site, device)}"
    try:
        state = parse_state(text, where)
    except BaselineError as exc:
        log.warning("[%s] %s; not copied to the fleet", site, exc)
        return None
    collected = parse_iso(state.collected_at)
    if collected is None:
        log.warning("[%s] %s has no collected_at; not copied to the fleet", site, where)
        return None
    return {
        "site": site,
        "device_id": device_id,
        "collected_at": collected,
        "sha256": sha,
        "state": json.loads(text),
    }


@dataclass(frozen=True)
class _Copied:
    """One document as the central database knows it: its metadata row and its bytes' hash."""

    content_sha: str
    size: int | None
    modified_at: datetime | None
    listed_sha: str | None


def copied_documents(connection: Connection, site: str) -> dict[str, _Copied]:
    """Each document the central database holds bytes for, with its ``report_files`` row."""
    contents, files = schema.report_contents, schema.report_files
    query = (
        select(
            contents.c.path,
            contents.c.sha256,
            files.c.size,
            files.c.modified_at,
            files.c.sha256,
        )
        .select_from(contents)
        .outerjoin(files, (files.c.site == contents.c.site) & (files.c.path == contents.c.path))
        .where(contents.c.site == site)
    )
    return {
        path: _Copied(sha, size, modified, listed)
        for path, sha, size, modified, listed in connection.execute(query)
    }


def _unchanged(copied: _Copied | None, size: int, modified: datetime) -> bool:
    """True when the file is, by size and time, the one whose bytes were copied: no need to
    read it again (its ``report_files`` row says the same hash as the copy)."""
    return (
        copied is not None
        and copied.listed_sha == copied.content_sha
        and copied.size == size
        and copied.modified_at is not None
        and copied.modified_at == modified
    )


def report_contents(
    folder: Path, site: str, copied: dict[str, _Copied], max_bytes: int
) -> Iterator[dict[str, Any]]:
    """Rows of ``report_contents`` for the documents whose bytes the central database lacks or
    holds in another version; a document over ``max_bytes`` is skipped with a warning naming it.
    A generator: one document's bytes at a time in memory, until the caller batches them."""
    if not folder.is_dir():
        return
    for path in sorted(documents(folder)):
        relative = path.relative_to(folder).as_posix()
        stat = path.stat()
        if stat.st_size > max_bytes:
            log.warning(
                "[%s] document %s is %d bytes, over [fleet] max_report_bytes (%d): not copied "
                "for download from the web page; raise max_report_bytes to copy it",
                site,
                path,
                stat.st_size,
                max_bytes,
            )
            continue
        known = copied.get(relative)
        if _unchanged(known, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)):
            continue
        content = path.read_bytes()
        sha = hashlib.sha256(content).hexdigest()
        if known is not None and known.content_sha == sha:
            continue
        yield {"site": site, "path": relative, "sha256": sha, "content": content}


def by_size(rows: Iterable[dict[str, Any]], budget: int) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of at most ``budget`` bytes of content (a bigger row goes alone)."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        if chunk and size + len(row["content"]) > budget:
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += len(row["content"])
    if chunk:
        yield chunk
