"""The T-bill vault's holders: compliance keeps its KYC allowlist; an allowlisted
holder deposits settlement cash for shares and redeems shares for cash."""

from __future__ import annotations

import click

from sovereign import vaultops
from sovereign.cli.base import ADDRESS, AMOUNT, ID, id_bytes, treasury_command
from sovereign.cli.cash import speak_in
from sovereign.operations import OperationRefused, Step

group = click.Group("vault", help="The T-bill vault: its KYC allowlist, deposits and redemptions.")

REF = click.option("--ref", "ref", required=True, type=ID, help="KYC reference (on-chain, public)")
RECEIVER = click.option(
    "--receiver", type=ADDRESS, help="who receives (an address or a label; default: the signer)"
)


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _vault(s):
    if s.system.vault is None:
        raise OperationRefused("this deployment has no T-bill vault")
    return s.system.vault


def _shares(s, vault) -> vaultops.Asset:
    return vaultops.Asset(vault.address, str(vault.symbol()), int(vault.decimals()))


def _set(s, address: str, ref: str, allowed: bool) -> dict:
    vault = _vault(s)
    who = s.address(address, "address")
    listed = bool(vault.isAllowlisted(who))
    if listed == allowed:
        state = "already on" if allowed else "not on"
        raise OperationRefused(f"{who} is {state} the vault's KYC allowlist: nothing to do")
    verb = "adding" if allowed else "removing"
    where = "to" if allowed else "from"
    return s.op.send(
        vault,
        "setAllowlisted",
        (who, allowed, id_bytes(ref)),
        s.signer(),
        f"{verb} {who} {where} the vault's KYC allowlist ({ref})",
    ) | {"address": who, "allowlisted": bool(vault.isAllowlisted(who)), "ref": ref}


@treasury_command(group, "allow", role="compliance")
@click.argument("address", type=ADDRESS)
@REF
def allow(s, address, ref):
    """Put ADDRESS on the vault's KYC allowlist (it passed KYC under --ref): it may then
    deposit, receive and hold shares. Signed by the compliance officer."""
    return _set(s, address, ref, True)


@treasury_command(group, "deny", role="compliance")
@click.argument("address", type=ADDRESS)
@REF
def deny(s, address, ref):
    """Take ADDRESS off the vault's KYC allowlist (--ref: why). It keeps the shares it
    holds and may still redeem them, but can no longer deposit or receive shares. Signed
    by the compliance officer."""
    return _set(s, address, ref, False)


@treasury_command(group, "deposit", role=None)
@click.argument("amount", type=AMOUNT)
@RECEIVER
def deposit(s, amount, receiver):
    """Deposit AMOUNT settlement cash into the vault for shares, priced at the entry NAV
    (the preview is shown before anything is sent). Two transactions, the approval and the
    deposit, simulated together first: a deposit that would fail sends no approval. The
    allowlisted holder signs: --account is required (no local default: the tool does not
    guess whose cash to move)."""
    vault = _vault(s)
    shares = _shares(s, vault)
    units = s.cash(amount)
    sender = s.signer()
    to = s.address(receiver, "receiver") if receiver else sender.address
    speak_in(s, s.cash_symbol, s.cash_decimals)
    preview = int(vault.previewDeposit(units))
    before = int(vault.balanceOf(to))
    cash, shown = s.system.cash, s.show_cash(units)
    steps = [
        Step(cash, "approve", (vault.address, units), f"allowing the vault to pull {shown}"),
        Step(
            vault,
            "deposit",
            (units, to),
            f"depositing {shown} for {to} (preview: {shares.show(preview)})",
        ),
    ]
    result = s.op.run(steps, sender)
    out = {
        "receiver": to,
        "amount": str(units),
        "amount_shown": shown,
        "preview_shares": str(preview),
        "preview_shown": shares.show(preview),
        "shares": None,  # received; none on a dry run
        "shares_shown": None,
    }
    if result.get("status") == "sent":
        received = int(vault.balanceOf(to)) - before
        s.print(f"{to} received {shares.show(received)} for {shown}")
        out |= {"shares": str(received), "shares_shown": shares.show(received)}
    return result | out


@treasury_command(group, "redeem", role=None)
@click.argument("shares", type=AMOUNT)
@RECEIVER
def redeem(s, shares, receiver):
    """Redeem SHARES of the signer's vault shares for settlement cash at the exit NAV
    (ERC-4626 redeem; the preview is shown before anything is sent), paid from the
    vault's idle cash to --receiver (default: the signer). The holder signs: --account is
    required."""
    vault = _vault(s)
    token = _shares(s, vault)
    units = token.parse(shares)
    sender = s.signer()
    to = s.address(receiver, "receiver") if receiver else sender.address
    speak_in(s, token.symbol, token.decimals)
    preview = int(vault.previewRedeem(units))
    before = int(s.system.cash.balanceOf(to))
    result = s.op.send(
        vault,
        "redeem",
        (units, to, sender.address),
        sender,
        f"redeeming {token.show(units)} of {sender.address}"
        + (f" for {to}" if to != sender.address else "")
        + f" (preview: {s.show_cash(preview)})",
    )
    out = {
        "receiver": to,
        "shares": str(units),
        "shares_shown": token.show(units),
        "preview_amount": str(preview),
        "preview_shown": s.show_cash(preview),
        "amount": None,  # received; none on a dry run
        "amount_shown": None,
        "shares_left": str(int(vault.balanceOf(sender.address))),
    }
    if result.get("status") == "sent":
        received = int(s.system.cash.balanceOf(to)) - before
        s.print(f"{to} received {s.show_cash(received)} for {token.show(units)}")
        out |= {"amount": str(received), "amount_shown": s.show_cash(received)}
    return result | out
