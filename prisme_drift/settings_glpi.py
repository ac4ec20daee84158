"""``[tickets.glpi]``: the settings of the GLPI ticket source (docs/glpi.md).

A bottom-layer module: ``config`` reads these settings without importing ``authorize``.
"""

from __future__ import annotations

import urllib.parse
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from prisme_drift.models import Category
from prisme_drift.validators import TimezoneName

DeviceItemtype = Literal["NetworkEquipment", "Computer", "Peripheral", "Phone", "Printer"]


class GlpiSettings(BaseModel):
    """``[tickets.glpi]``: where GLPI is, how to log in (token files), how to map its changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    user_token_file: Path
    app_token_file: Path | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 30
    verify_tls: bool = True
    ca_file: Path | None = None
    timezone: TimezoneName = "UTC"
    category_map: dict[str, tuple[Category, ...]] = Field(default_factory=dict)
    default_categories: tuple[Category, ...] = ()
    page_size: Annotated[int, Field(ge=1, le=1000)] = 50
    device_itemtypes: Annotated[tuple[DeviceItemtype, ...], Field(min_length=1)] = (
        "NetworkEquipment",
    )
    transitional_tags: tuple[str, ...] = ("transitoire", "transitional")
    expiry_markers: tuple[str, ...] = ("expire", "expires", "expiration")
    mandate_markers: tuple[str, ...] = ("mandat", "mandate")
    finished_max_age_days: Annotated[int, Field(ge=0, le=36_500)] = 30

    @model_validator(mode="before")
    @classmethod
    def _no_token_in_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and {"app_token", "user_token"} & set(data):
            raise ValueError(
                "never write a GLPI token in the settings file: put it alone in a file "
                "(mode 0600) and set app_token_file / user_token_file to its path"
            )
        return data

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        netloc = urllib.parse.urlsplit(value).netloc
        if "@" in netloc:
            raise ValueError("no user or password in url: GLPI logs in with user_token_file")
        if "?" in value or "#" in value:
            raise ValueError("url ends at apirest.php, without a query string")
        return value.rstrip("/")

    @property
    def tz(self) -> tzinfo:
        """The timezone GLPI's naive date-times are read in."""
        return ZoneInfo(self.timezone)

    @property
    def web_url(self) -> str:
        """GLPI's web root (the API url without ``/apirest.php``), for links in messages."""
        return self.url.removesuffix("/apirest.php")
