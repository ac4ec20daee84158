"""Secret files: their paths through systemd's ``$CREDENTIALS_DIRECTORY``, and how they read.

Under the ``prisme-drift@`` unit, ``LoadCredential=`` copies each secret into a private folder
and sets ``$CREDENTIALS_DIRECTORY``; settings can then say ``"$CREDENTIALS_DIRECTORY/smtp"``.
Outside systemd the variable is unset and such a path names nothing: the readers of secret files
say so (:func:`unset_credentials_directory`) instead of "file not found".
"""

from __future__ import annotations

import os
from pathlib import Path

CREDENTIALS_VAR = "CREDENTIALS_DIRECTORY"
_FORMS = ("${" + CREDENTIALS_VAR + "}", "$" + CREDENTIALS_VAR)


def expand_credentials_directory(path: Path) -> Path:
    """``$CREDENTIALS_DIRECTORY/x`` -> the systemd credentials folder of the service, when set."""
    text, value = str(path), os.environ.get(CREDENTIALS_VAR)
    if not value or "$" not in text:
        return path
    for form in _FORMS:
        text = text.replace(form, value)
    return Path(text)


def unset_credentials_directory(path: Path, key: str) -> str | None:
    """Why ``path`` cannot be read when it still names ``$CREDENTIALS_DIRECTORY`` because the
    variable is unset (outside systemd), with the fix for the setting ``key``; None otherwise."""
    if os.environ.get(CREDENTIALS_VAR) or not any(form in str(path) for form in _FORMS):
        return None
    return (
        f"{key} names ${CREDENTIALS_VAR}, which is set only by systemd's LoadCredential= "
        "(the prisme-drift@ unit, docs/deployment.md) and is not set here; give the file's "
        f"real path in {key} instead, or run the command under the unit"
    )


def read_secret(path: Path) -> str:
    """The secret held alone in ``path``: its text without the trailing line end(s) an editor or
    ``echo`` adds; every other character, spaces included, is part of the secret. The one rule
    for every secret file (device passwords, SMTP password, webhook and GLPI tokens); OSError
    as ``read_text`` raises it, for the caller to name its setting."""
    return path.read_text(encoding="utf-8").rstrip("\r\n")
