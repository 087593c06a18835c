"""T-bills: the debt office issues series, the vault buys and redeems them, the
treasury funds their repayment. Multi-step commands are simulated whole first."""

from __future__ import annotations

import click

from sovereign import bills as domain
from sovereign.cli.base import AMOUNT, treasury_command
from sovereign.operations import OperationRefused, Step, is_local

group = click.Group("bills", help="T-bill series and the vault's ladder.")

CODE = click.argument("code")


def register(cli: click.Group) -> None:
    cli.add_command(group)


@treasury_command(group, "issue", role="debt-office")
@CODE
@click.option("--days", required=True, type=click.IntRange(1, 3650), help="days to maturity")
@click.option("--price", required=True, type=AMOUNT, help="price per 1.00 of face, e.g. 0.9875")
@click.option("--amount", required=True, type=AMOUNT, help="face amount offered")
def issue(s, code, days, price, amount):
    """Create series CODE (face 1.00 settlement cash per bill) and open its auction: two
    transactions, both simulated before the first is sent."""
    registry = s.system.registry
    price_units = s.cash(price, "the price")
    offered = s.cash(amount, "the offered face")
    terms = domain.new_series_terms(code, s.cash_decimals, days)
    address = domain.next_series_address(registry)
    steps = [
        Step(registry, "createSeries", terms, f"creating series {code} maturing in {days} days"),
        Step(
            registry,
            "openAuction",
            (address, price_units, offered),
            f"opening the {code} auction at {s.show_cash(price_units)} for "
            f"{s.show_cash(offered)} of face",
        ),
    ]
    return s.op.run(steps, s.signer()) | {"series": address, "code": code}


@treasury_command(group, "buy", role="vault-manager")
@CODE
@click.argument("amount", type=AMOUNT)
@click.option("--max-price", required=True, type=AMOUNT, help="highest price per 1.00 of face")
def buy(s, code, amount, max_price):
    """The vault buys AMOUNT face of series CODE at its auction, paying at most
    --max-price per 1.00 of face from its idle cash."""
    bill = domain.series(s.system.registry, code)
    units = s.cash(amount, code)
    limit = s.cash(max_price, "the price")
    return s.op.send(
        s.system.vault,
        "buy",
        (bill.address, units, limit),
        s.signer(),
        f"buying {s.show_cash(units)} face of {code} at up to {s.show_cash(limit)}",
    )


def _treasury(s):
    """The registry's treasury (which received the proceeds) signs; locally its test account."""
    from ape import accounts

    if s.account is not None:
        return s.signer()
    address = s.system.registry.treasury()
    if is_local():
        for account in accounts.test_accounts:
            if account.address == address:
                return account
    raise OperationRefused(f"--account is required: the treasury {address} signs")


@treasury_command(group, "fund", role=None)
@CODE
@click.argument("amount", type=AMOUNT, required=False)
def fund(s, code, amount):
    """Put AMOUNT settlement cash into series CODE's repayment pool (default: what it
    lacks to repay every outstanding bill at face). The treasury signs (on a local chain
    by default its test account): an approval and the funding, simulated together."""
    bill = domain.series(s.system.registry, code)
    units = s.cash(amount, "the funding") if amount else domain.missing_funding(bill)
    if units == 0:
        raise OperationRefused(f"{code} is fully funded: nothing to add")
    shown = s.show_cash(units)
    steps = [
        Step(s.system.cash, "approve", (bill.address, units), f"allowing {code} to pull {shown}"),
        Step(bill, "fundRepayment", (units,), f"funding {code} with {shown}"),
    ]
    return s.op.run(steps, _treasury(s)) | {"amount": str(units)}


@treasury_command(group, "redeem", role="vault-manager")
@CODE
def redeem(s, code):
    """The vault redeems its matured holding of series CODE at the series."""
    from ape import chain

    bill = domain.series(s.system.registry, code)
    vault = s.system.vault
    index = domain.matured_index(vault, bill)
    if index is None:
        if int(bill.maturity()) > chain.pending_timestamp:
            raise OperationRefused(f"{code} has not matured yet")
        raise OperationRefused(f"the vault holds no matured {code} (already redeemed?)")
    return s.op.send(vault, "redeemMatured", (index,), s.signer(), f"redeeming the matured {code}")
