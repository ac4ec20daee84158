"""hier_config, loaded in linear time.

hier_config's Cisco IOS driver renumbers ACL entries and drops ACL remarks after loading, one
entry at a time: every renamed or deleted entry rebuilds its ACL's whole index, so an ACL of n
entries costs n² (a 5,000-line ACL: 25 million steps, at every poll). The driver here is
hier_config's own, with those callbacks replaced by ones that give the same tree with one
rebuild per ACL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from prisme_drift.errors import ClassifyError

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild
    from hier_config.platforms.driver_base import HConfigDriverBase

Callback = Callable[["HConfig"], None]
_PERMIT_DENY = ("permit", "deny")


def _rebuild(section: HConfigChild, texts: list[tuple[HConfigChild, str]]) -> None:
    """Replace ``section``'s children by copies with new texts, in one pass."""
    fresh = []
    for child, text in texts:
        new = section.instantiate_child(text)
        for grandchild in child.children:
            new.add_deep_copy_of(grandchild)
        fresh.append(new)
    section.children.clear()
    section.children.extend(fresh)


def _ipv6_sequences(config: HConfig) -> None:
    """``sequence 10 permit ...`` -> ``permit ...`` in IPv6 ACLs."""
    for acl in config.get_children(startswith="ipv6 access-list "):
        if any(c.text.startswith("sequence") for c in acl.children):
            _rebuild(
                acl,
                [
                    (c, " ".join(c.text.split()[2:]) if c.text.startswith("sequence") else c.text)
                    for c in acl.children
                ],
            )


def _ipv4_remarks(config: HConfig) -> None:
    """IPv4 ACL remarks dropped (hier_config's IOS driver ignores them)."""
    for acl in config.get_children(startswith="ip access-list "):
        if any(c.text.startswith("remark") for c in acl.children):
            _rebuild(acl, [(c, c.text) for c in acl.children if not c.text.startswith("remark")])


def _ipv4_sequences(config: HConfig) -> None:
    """IPv4 ACL ``permit``/``deny`` entries numbered 10, 20, ... as hier_config does."""
    for acl in config.children:
        if not acl.text.startswith("ip access-list"):
            continue
        texts: list[tuple[HConfigChild, str]] = []
        number = 10
        for child in acl.children:
            if child.text.startswith(_PERMIT_DENY):
                texts.append((child, f"{number} {child.text}"))
                number += 10
            else:
                texts.append((child, child.text))
        _rebuild(acl, texts)


# hier_config callback name -> the same work in linear time
_LINEAR: dict[str, Callback] = {
    "_rm_ipv6_acl_sequence_numbers": _ipv6_sequences,
    "_remove_ipv4_acl_remarks": _ipv4_remarks,
    "_add_acl_sequence_numbers": _ipv4_sequences,
}


@lru_cache(maxsize=16)
def hier_driver(platform: str) -> HConfigDriverBase:
    """hier_config's driver for ``platform`` (a ``Platform`` name), with linear callbacks."""
    from hier_config import Platform, get_hconfig_driver

    try:
        driver = get_hconfig_driver(Platform[platform])
    except KeyError:
        raise ClassifyError(f"hier_config knows no platform {platform!r}") from None
    callbacks = driver.rules.post_load_callbacks
    callbacks[:] = [_LINEAR.get(getattr(cb, "__name__", ""), cb) for cb in callbacks]
    return driver


def load(platform: str, text: str) -> HConfig:
    """``text`` loaded by hier_config for ``platform``."""
    from hier_config import get_hconfig

    return get_hconfig(hier_driver(platform), text)
