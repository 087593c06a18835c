"""``ape treasury ceilings …``: the tokenization program's ceilings per asset class
(ProgramCeilings), shared by the T-bill and bond registries (face value) and the
commodity tokens (book value): read them, change one through the governor's delay,
and give back the room of repaid debt (``sync``, open to any account)."""

from __future__ import annotations

import click
from rich.table import Table

from sovereign import ceilings as domain
from sovereign.cli.base import AMOUNT, treasury_command
from sovereign.cli.commodities import peg
from sovereign.cli.params_change import change, within
from sovereign.inputs import InputError, parse_amount
from sovereign.limits import MAX_CEILING_WAD
from sovereign.operations import OperationRefused, Step
from sovereign.units import text_to_bytes32

group = click.Group("ceilings", help="Program ceilings per asset class: show, set, sync.")


def register(cli: click.Group) -> None:
    cli.add_command(group)


def _contract(s):
    if s.system.ceilings is None:
        raise InputError("this deployment has no ProgramCeilings in its manifest")
    return s.system.ceilings


@treasury_command(group, "show", write=False)
def show(s):
    """Each asset class: its ceiling, what is outstanding (debt at face value, commodities
    at book value) and the headroom, in the peg currency."""
    contract = _contract(s)
    rows = domain.rows(s.system)
    if not s.as_json:
        table = Table(title=f"Program ceilings ({contract.address})")
        for col in ("class", "ceiling", "outstanding", "headroom"):
            table.add_column(col, justify="left" if col == "class" else "right")
        for r in rows:
            table.add_row(
                r["class"], *(peg(s, int(r[k])) for k in ("ceiling_wad", "outstanding_wad",
                                                           "headroom_wad"))
            )  # fmt: skip
        s.print(table)
    return {"ceilings": rows}


@treasury_command(group, "set", role="governor")
@click.argument("asset_class", metavar="CLASS")
@click.argument("amount", type=AMOUNT)
def set_(s, asset_class, amount):
    """Set CLASS's program ceiling to AMOUNT in the peg currency, through the governor's
    delay. Bounds: 0 to 10^15. A ceiling below what is outstanding stops new issuance
    in the class and touches nothing issued."""
    contract = _contract(s)
    classes = domain.classes(s.system)
    if asset_class not in classes:
        raise InputError(f"no asset class {asset_class!r}; classes: {', '.join(classes)}")
    new = parse_amount(amount, 18, s.cash_symbol, allow_zero=True)
    within(new, 0, MAX_CEILING_WAD, f"the {asset_class} ceiling", lambda v: peg(s, v),
           "ProgramCeilings.MAX_CEILING_WAD")  # fmt: skip
    raw = text_to_bytes32(asset_class)
    now = int(contract.ceiling(raw))
    return change(
        s, contract, "setCeiling", (raw, new), param=f"ceiling:{asset_class}",
        what=f"the {asset_class} ceiling", current=(str(now), peg(s, now)),
        new=(str(new), peg(s, new)),
    )  # fmt: skip


@treasury_command(group, "sync", role=None)
def sync(s):
    """Book every bill and bond series again at its face outstanding: the face of what
    was repaid (tokens redeemed) goes back to its class's headroom. Any account may
    send it; nothing is sent when every series is booked at its figure."""
    late = domain.lagging(s.system)
    if not late:
        raise OperationRefused("every debt series is booked at its face outstanding")
    steps = [
        Step(
            b.registry,
            "sync",
            (b.series,),
            f"booking {b.series} at {peg(s, b.current)} (was {peg(s, b.booked)})",
        )  # fmt: skip
        for b in late
    ]
    result = s.op.run(steps, s.signer())
    return result | {
        "synced": [
            {"series": b.series, "booked_wad": str(b.booked), "current_wad": str(b.current)}
            for b in late
        ]  # fmt: skip
    }
