"""Example addresses left in an inventory: they can never be a real device.

The repository's example inventory (and any copied from the docs) uses the addresses reserved for
documentation (RFC 5737, RFC 3849) and the example domains (RFC 2606). A check that sends SSH to
them would only wait for TCP timeouts, so ``check`` names them and what to fill in instead.
"""

from __future__ import annotations

import ipaddress

DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
EXAMPLE_DOMAINS = ("example", "example.com", "example.net", "example.org")


def example_address(hostname: str) -> str | None:
    """What makes ``hostname`` an example (the RFC), or None when it may be a real device."""
    name = hostname.strip().rstrip(".").lower()
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        if any(name == d or name.endswith("." + d) for d in EXAMPLE_DOMAINS):
            return "an example domain name (RFC 2606)"
        return None
    if any(address in net for net in DOCUMENTATION_NETWORKS):
        rfc = "RFC 3849" if address.version == 6 else "RFC 5737"
        return f"an address reserved for documentation ({rfc})"
    return None
