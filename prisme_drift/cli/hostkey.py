"""Host key commands: ``hostkey accept DEVICE``."""

from __future__ import annotations

import sys

import click

from prisme_drift.cli.app import EXIT_DEVICE, Context, cli, err, out, pass_ctx
from prisme_drift.errors import CollectError, RefusedError


@cli.group()
def hostkey() -> None:
    """Pinned SSH host keys of the devices (state/known_hosts)."""


@hostkey.command("accept")
@click.argument("device")
@click.option(
    "--fingerprint",
    metavar="SHA256:...",
    help="The new key's fingerprint, as checked on the device itself; needed without a terminal.",
)
@click.option("--by", default=None, help="Who accepts it (default: the current user).")
@pass_ctx
def hostkey_accept(ctx: Context, device: str, fingerprint: str | None, by: str | None) -> None:
    """Show the key DEVICE presents next to the pinned one, and pin it once confirmed.

    Never automatic: the change is confirmed at the terminal or with --fingerprint, and recorded
    in the audit trail. Exit 0 pinned (or nothing to do), 4 device unreachable, 5 refused.
    """
    from prisme_drift.authorize.registry import default_actor
    from prisme_drift.collect.hostkeys import same_fingerprint
    from prisme_drift.hostkey import accept_host_key, review_host_key

    settings = ctx.settings()
    try:
        review = review_host_key(settings, device)
    except CollectError as exc:
        err.print(f"error: {device}: cannot read its host key: {exc}", markup=False)
        raise click.exceptions.Exit(EXIT_DEVICE) from exc
    out.print(f"{device} ({review.entry})", markup=False)
    out.print(f"  pinned:   {', '.join(review.pinned) or 'none'}", markup=False)
    out.print(f"  presents: {review.presented}", markup=False)
    if review.unchanged:
        out.print("the device presents the pinned key: nothing to accept")
        return
    if fingerprint is not None:
        if not same_fingerprint(review.key, fingerprint):
            raise RefusedError(
                f"{device} presents {review.presented}, not {fingerprint}; nothing was changed "
                "(a key other than the one checked on the device: do not accept it)"
            )
    elif not sys.stdin.isatty():
        raise RefusedError(
            "not on a terminal: check the fingerprint above on the device's console, then give "
            "it with --fingerprint; nothing was changed"
        )
    elif not click.confirm("Is this the device's new key, checked on the device?", default=False):
        raise RefusedError("not accepted; nothing was changed")
    accept_host_key(settings, review, by or default_actor())
    out.print(f"{device}: new host key pinned and recorded in the audit trail; polls resume")
