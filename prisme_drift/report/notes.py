"""What technicians add to a ticket's record (``ticket note``): tests, attachments, remarks.

Tests come as a YAML list (``what``, ``expected``, ``observed``, ``result: ok|ko``), validated
with every problem named by file, item and key before anything is written. Attachments are
copied beside the intervention reports (``<reports>/interventions/<site>-<ticket>-files/``),
each with its size and SHA-256; images get a thumbnail in the report. The note itself is an
entry of the audit trail (``ticket.note``), which is where the report reads it back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from prisme_drift.config import Settings
from prisme_drift.errors import ConfigError, OperationalError

log = logging.getLogger(__name__)

TEST_KEYS = ("what", "expected", "observed", "result")
RESULTS = ("ok", "ko")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
THUMBNAIL_PX = 360
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str) -> str:
    """A file-name-safe form of a site or ticket id (``GLPI/12`` -> ``GLPI_12``)."""
    return _UNSAFE.sub("_", text).strip("._") or "x"


def report_stem(site: str, ticket_id: str) -> str:
    """``<site>-<ticket>``: the file name of a ticket's report, without its extension."""
    return f"{safe_name(site)}-{safe_name(ticket_id)}"


def interventions_folder(settings: Settings) -> Path:
    """Where intervention reports and attachments live: ``<[report] output>/interventions``."""
    return settings.resolve(settings.report.output) / "interventions"


# -- tests ---------------------------------------------------------------------------------------
def _test_problems(number: int, item: object) -> list[str]:
    where = f"item {number}"
    if not isinstance(item, dict):
        return [f"{where}: a mapping with keys {', '.join(TEST_KEYS)}, not {type(item).__name__}"]
    allowed = ", ".join(TEST_KEYS)
    problems = [f"{where}: unknown key {k!r}; use {allowed}" for k in item if k not in TEST_KEYS]
    for key in TEST_KEYS:
        value = item.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(f"{where}: key {key!r} is missing or empty")
        elif isinstance(value, dict | list):
            problems.append(f"{where}: key {key!r} must be text, not a {type(value).__name__}")
    result = item.get("result")
    if isinstance(result, str) and result.strip() and result.strip().lower() not in RESULTS:
        problems.append(f"{where}: key 'result' is {result!r}; use ok or ko")
    elif isinstance(result, bool):
        problems.append(f"{where}: key 'result' must be ok or ko (quote it: \"ok\")")
    return problems


def load_tests(path: Path) -> list[dict[str, str]]:
    """The tests of a YAML file; ConfigError listing every problem (file, item, key)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"--tests {path}: cannot read it ({exc.strerror})") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"--tests {path}: not valid YAML{at}; fix the file") from exc
    if not isinstance(data, list) or not data:
        raise ConfigError(
            f"--tests {path}: expected a non-empty YAML list of tests, each with "
            f"{', '.join(TEST_KEYS)} (result: ok or ko)"
        )
    problems = [p for n, item in enumerate(data, 1) for p in _test_problems(n, item)]
    if problems:
        raise ConfigError(f"--tests {path}: nothing recorded", problems=problems)
    return [
        {k: str(item[k]).strip() for k in TEST_KEYS} | {"result": str(item["result"]).lower()}
        for item in data
    ]


# -- attachments ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stored:
    """An attachment copied into the interventions folder."""

    name: str
    path: str  # relative to the interventions folder
    size: int
    sha256: str
    image: bool
    new: bool  # copied by this note (removed again if the note is not recorded)

    def as_dict(self) -> dict[str, Any]:
        """What the audit trail records."""
        return {
            "name": self.name,
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "image": self.image,
        }


def check_attachments(paths: Sequence[Path]) -> None:
    """ConfigError naming every attachment that is missing, not a file or unreadable."""
    problems = []
    for path in paths:
        if not path.is_file():
            problems.append(f"--attach {path}: no such file")
        elif not os.access(path, os.R_OK):
            problems.append(f"--attach {path}: not readable")
    if problems:
        raise ConfigError("nothing recorded", problems=problems)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _target(folder: Path, name: str, sha: str) -> tuple[Path, bool]:
    """Where to store a file: the same name, or a numbered one when another file has it."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, number = folder / name, 1
    while candidate.exists():
        if _sha256(candidate) == sha:
            return candidate, False
        number += 1
        candidate = folder / f"{stem}-{number}{suffix}"
    return candidate, True


def store_attachments(folder: Path, stem: str, paths: Sequence[Path]) -> list[Stored]:
    """Copy the files into ``<folder>/<stem>-files/`` (atomically each); same content, same file."""
    target_dir = folder / f"{stem}-files"
    stored: list[Stored] = []
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        for path in paths:
            sha = _sha256(path)
            target, new = _target(target_dir, safe_name(path.name), sha)
            if new:
                fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".attach.", suffix=".tmp")
                os.close(fd)
                shutil.copyfile(path, tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            stored.append(
                Stored(
                    name=path.name,
                    path=str(target.relative_to(folder)),
                    size=target.stat().st_size,
                    sha256=sha,
                    image=is_image(target),
                    new=new,
                )
            )
    except OSError as exc:
        discard(folder, stored)
        raise OperationalError(
            f"cannot store the attachments in {target_dir}: {exc.strerror}; check the folder "
            "([report] output) and free space"
        ) from exc
    return stored


def discard(folder: Path, stored: Sequence[Stored]) -> None:
    """Remove the files a note copied (the note was not recorded)."""
    for item in stored:
        if item.new:
            (folder / item.path).unlink(missing_ok=True)


def is_image(path: Path) -> bool:
    """A picture Pillow can read (a photo of the rack, a schematic exported as PNG)."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return False
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return False
    return True


def thumbnail(path: Path) -> str | None:
    """A small JPEG of an image as a data URI (the report stays one file); None if unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        log.warning("attachment %s: not readable as an image, listed without a thumbnail", path)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
