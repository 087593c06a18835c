"""A bond as reserve collateral: its feeds, then the governor's listing.

1. ``bonds feeds ISIN`` deploys, from any key, the oracle stub that carries the bond's
   clean price (a ReportedPriceFeed under the system's manager) and the BondValueFeed the
   reserve reads (clean price plus on-chain accrued interest, less the registry's maturity
   haircut), and records both in the manifest: ``feed:ISIN`` (so that ``oracle report ISIN``
   reports its clean price) and ``bond-feed:ISIN``.
2. ``bonds collateral ISIN --price --heartbeat --haircut --cap`` is the governor's, each
   act through its delay: the stub's functions mapped to their roles (as the deployment
   maps every stub's: the admin's act, with the admin delay), its first answer forced
   (governance's, as for every stub) and the listing (``Reserve.setCollateral``). The
   first run schedules them; the same command run again after the delays executes them.
"""

from __future__ import annotations

import click

from sovereign import artifacts
from sovereign.cli.base import AMOUNT, confirm, treasury_command
from sovereign.cli.bonds import ISIN_ARG, series_of
from sovereign.cli.params_change import within
from sovereign.inputs import InputError, parse_amount
from sovereign.operations import OperationRefused, Step, when

_commands = click.Group()
# The clean price stub's decimals, as the deployment's stubs (deploy/local.yaml).
CLEAN_PRICE_DECIMALS = 8


def register(group: click.Group) -> None:
    for command in _commands.commands.values():
        group.add_command(command)


@treasury_command(_commands, "feeds", role="debt-office", safe=False)
@ISIN_ARG
def feeds(s, isin):
    """Deploy the two feeds that value ISIN for the reserve (a clean price oracle stub and
    its BondValueFeed) and record them in the manifest. Deploying them is no governance
    act: any key may (on a local chain by default the debt office's); listing the bond is
    the governor's (``bonds collateral``)."""
    from ape import chain

    from sovereign.manifest import add_contracts, manifest_path

    series = series_of(s, isin)
    if isin in s.system.bond_feeds or isin in s.system.feeds:
        known = (s.system.bond_feeds.get(isin) or s.system.feeds[isin]).address
        raise OperationRefused(
            f"the manifest names feeds for {isin} already ({known}): nothing to deploy"
        )
    config = s.system.config
    description = f"{isin} clean / {s.cash_symbol}"
    signer = s.signer()
    result = s.op.header(signer)
    plan = f"deploying the clean price feed {description!r} and the BondValueFeed of {isin}"
    result["action"] = plan
    s.print(plan)
    if s.dry_run:
        s.print("dry run: nothing sent")
        return result | {"status": "dry-run", "transactions": []}
    if not s.yes and not confirm(f"Send 2 transactions: {plan}?"):
        raise OperationRefused("not confirmed; nothing sent")
    clean = artifacts.container("ReportedPriceFeed").deploy(
        s.system.manager.address,
        CLEAN_PRICE_DECIMALS,
        description,
        config.feed_max_deviation_bps,
        config.feed_deviation_window,
        sender=signer,
    )
    value = artifacts.container("BondValueFeed").deploy(
        series.address, clean.address, sender=signer
    )
    created = {}
    for name, contract in ((f"feed:{isin}", clean), (f"bond-feed:{isin}", value)):
        receipt = chain.get_receipt(contract.txn_hash)
        created[name] = (contract.address, receipt)
        s.print(
            f"sent: {receipt.txn_hash} in block {receipt.block_number}, gas "
            f"{receipt.gas_used:,} (deploying {name} at {contract.address})"
        )
    add_contracts(manifest_path(), created)
    s.print(
        f"recorded in the manifest: feed:{isin} (its clean price: ape treasury oracle report "
        f"{isin} PRICE) and bond-feed:{isin}"
    )
    return result | {
        "status": "sent",
        "clean_price_feed": clean.address,
        "value_feed": value.address,
        "transactions": [
            {"step": n, "tx": r.txn_hash, "block": r.block_number} for n, (_, r) in created.items()
        ],
    }


def _steps(s, series, isin: str, answer: int, config: tuple) -> list[Step]:
    """What is still to do for the listing, in the order it must run."""
    from sovereign.deployphases import wire_functions

    manager, reserve = s.system.manager, s.system.reserve
    clean, value = s.system.feeds[isin], s.system.bond_feeds[isin]
    steps = []
    for label, target, method, args in wire_functions(manager, clean, "ReportedPriceFeed"):
        _, selectors, role = args
        if all(int(manager.getTargetFunctionRole(clean.address, sel)) == role for sel in selectors):
            continue
        names = ", ".join(
            f.name for f in clean.contract_type.mutable_methods if _sel(clean, f.name) in selectors
        )
        steps.append(
            Step(
                target,
                method,
                args,
                f"mapping {names} of the {isin} clean price feed to the "
                f"{label.rsplit(' ', 1)[1]} role",
            )
        )
    if int(clean.latestRoundData()[3]) == 0:
        shown = f"{_price_text(answer)} {s.cash_symbol}"
        steps.append(
            Step(
                clean,
                "forceReport",
                (answer,),
                f"setting the first clean price of {isin} to {shown} per bond",
            )
        )
    cfg = reserve.collateralConfig(series.address)
    current = (str(cfg.feed), int(cfg.heartbeat), int(cfg.haircutBps), int(cfg.concentrationCapBps))
    if not cfg.listed or current != (value.address, *config):
        heartbeat, haircut, cap = config
        verb = "reconfiguring" if cfg.listed else "listing"
        steps.append(
            Step(
                reserve,
                "setCollateral",
                (series.address, value.address, heartbeat, haircut, cap),
                f"{verb} {isin} as reserve collateral, valued by its BondValueFeed "
                f"{value.address}: heartbeat {heartbeat:,} s, haircut {haircut:,} bps, "
                f"cap {cap:,} bps",
            )
        )
    return steps


def _sel(contract, method: str) -> bytes:
    from sovereign.governance import selector

    return selector(contract, method)


def _price_text(answer: int) -> str:
    from sovereign.units import format_amount

    return format_amount(answer, CLEAN_PRICE_DECIMALS)


@treasury_command(_commands, "collateral", role="governor")
@ISIN_ARG
@click.option("--price", required=True, type=AMOUNT, help="the first clean price per bond, in cash")
@click.option(
    "--heartbeat", required=True, type=int, help="oldest acceptable price [s], 60 to 604,800"
)
@click.option(
    "--haircut", required=True, type=int, help="the reserve's haircut on top [bps], 0 to 9,000"
)
@click.option(
    "--cap", required=True, type=int, help="largest share of the counted total [bps], 100 to 10,000"
)
def collateral(s, isin, price, heartbeat, haircut, cap):
    """List ISIN as reserve collateral, valued by its BondValueFeed (``bonds feeds`` first):
    the governor's acts, each through its delay. The first run schedules what is left to
    do (the clean price stub's role mapping, its first answer --price, the listing); the
    same command run again once the delays have passed executes them, in order."""
    from ape import chain

    from sovereign import limits
    from sovereign.calls import bps
    from sovereign.cli.params_change import duration

    series = series_of(s, isin)
    if isin not in s.system.bond_feeds or isin not in s.system.feeds:
        raise InputError(
            f"the manifest names no feeds for {isin}: deploy them first (ape treasury bonds "
            f"feeds {isin})"
        )
    within(
        heartbeat,
        limits.MIN_HEARTBEAT,
        limits.MAX_HEARTBEAT,
        "the heartbeat",
        duration,
        "Reserve.MIN_HEARTBEAT to MAX_HEARTBEAT",
    )
    within(haircut, 0, limits.MAX_HAIRCUT_BPS, "the haircut", bps, "Reserve.MAX_HAIRCUT_BPS")
    within(
        cap,
        limits.MIN_CONCENTRATION_CAP_BPS,
        10_000,
        "the concentration cap",
        bps,
        "Reserve.MIN_CONCENTRATION_CAP_BPS to 100%",
    )
    answer = parse_amount(price, CLEAN_PRICE_DECIMALS, "the clean price")
    steps = _steps(s, series, isin, answer, (heartbeat, haircut, cap))
    if not steps:
        raise InputError(f"{isin} is listed already with these settings: nothing to change")
    sender = s.signer()
    manager, now = s.system.manager, chain.blocks.head.timestamp
    ready = [_schedule_of(manager, sender, step) for step in steps]
    waiting = [t for t in ready if t > now]
    if waiting and len(waiting) == len(steps):
        raise OperationRefused(
            f"the listing of {isin} is scheduled ({len(steps)} acts); it can be executed from "
            f"{when(max(waiting))}: run the same command again then"
        )
    if not s.yes and not s.dry_run:
        plan = "; ".join(step.description for step in steps)
        if not confirm(f"Schedule or execute, each through its delay: {plan}?"):
            raise OperationRefused("not confirmed; nothing sent")
        s.op.yes = True
    results = [s.op.run([step], sender) for step, at in zip(steps, ready, strict=True) if at <= now]
    statuses = [r.get("status") for r in results]
    return {"isin": isin, "acts": results, "statuses": statuses, "waiting": len(waiting)}


def _schedule_of(manager, sender, step: Step) -> int:
    """When ``step`` is scheduled to run for ``sender`` (0: not scheduled)."""
    data = getattr(step.contract, step.method).encode_input(*step.args)
    return int(
        manager.getSchedule(manager.hashOperation(sender.address, step.contract.address, data))
    )
