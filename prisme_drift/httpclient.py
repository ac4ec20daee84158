"""What the HTTP channels (the GLPI ticket source, the webhook notifier) share: an httpx client.

- TLS: certificates are checked against the system's CAs (as ``ssl.create_default_context``
  does, not httpx's bundled list), or against ``ca_file`` for a private CA; never off unless a
  setting says so.
- Redirects are never followed: they would carry tokens to another address.
- Timeouts on connect, read, write and pool alike.
- No retry here: GLPI is read again at the next poll, the outbox retries a webhook.

httpx and httpcore log each request line (a webhook URL may be a secret) and the protocol
steps; ``scrub.guard_handlers`` keeps them below WARNING silent at every verbosity.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from prisme_drift import __version__

USER_AGENT = f"prisme-drift/{__version__}"


def tls_context(ca_file: Path | None = None, *, verify: bool = True) -> ssl.SSLContext:
    """The system's CAs (or ``ca_file`` only) with host name checks; no checks if not
    ``verify``. OSError (ssl.SSLError included) when ``ca_file`` cannot be read as PEM."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def client(timeout: float, tls: ssl.SSLContext) -> httpx.Client:
    """An httpx client that follows no redirect, with ``timeout`` seconds for every step."""
    return httpx.Client(
        verify=tls,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def read_limited(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of a streamed body (decoded), the rest left unread."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def cause(exc: httpx.TransportError) -> BaseException:
    """What went wrong under an httpx transport error, as the standard library says it:
    TimeoutError for every timeout, else the first OSError of the chain (``socket.gaierror``,
    ``ssl.SSLCertVerificationError``, ``ConnectionRefusedError``...), else ``exc`` itself."""
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(str(exc))
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and not any(link is s for s in seen):
        if isinstance(link, OSError):
            return link
        seen.append(link)
        link = link.__cause__ or link.__context__
    return exc
