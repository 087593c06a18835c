"""``ape treasury params …``: every governor parameter, through the governor's delay.

Each command shows the parameter's current value and the new one (a ratio as a
percentage, a fee in bps and %, an amount with its symbol, a duration in seconds),
refuses a value outside the contract's bounds before anything is simulated (exit 3,
naming the bounds), then schedules the change on the AccessManager (simulating the
schedule and its execution after the delay together). The same command run again once
the delay has passed executes it; ``ape treasury governance pending`` lists it meanwhile
and the guardian may cancel it (``ape treasury governance cancel``).

Governance delays (``params delay``) are in ``sovereign.cli.params_delay``, the collateral
assets (``params collateral``) in ``sovereign.cli.params_collateral``.
"""

from __future__ import annotations

import click

from sovereign import limits
from sovereign.calls import bps, percent_wad
from sovereign.cli.base import ADDRESS, AMOUNT, treasury_command
from sovereign.cli.params_change import ZERO, change, duration, within
from sovereign.cli.params_collateral import collateral
from sovereign.cli.params_delay import delay
from sovereign.inputs import InputError, parse_amount
from sovereign.roles import Role

UINT256_MAX = 2**256 - 1

group = click.Group("params", help="Governor parameters, each changed through its delay.")
group.add_command(collateral)
group.add_command(delay)


def register(cli: click.Group) -> None:
    cli.add_command(group)


# ------------------------------------------------------------------ helpers


def parse_ratio(text: str) -> int:
    """``1.05`` or ``105%`` -> a WAD ratio, exactly."""
    raw = text.strip()
    if raw.endswith("%"):
        return parse_amount(raw[:-1].strip(), 16, "a percentage")
    return parse_amount(raw, 18, "a ratio")


def feed_of(s, symbol: str):
    if symbol not in s.system.feeds:
        known = ", ".join(sorted(s.system.feeds)) or "none"
        raise InputError(f"no feed {symbol!r}; known: {known}")
    return s.system.feeds[symbol]


# ------------------------------------------------------------------ the reserve


@treasury_command(group, "min-ratio", role="governor")
@click.argument("ratio")
def min_ratio(s, ratio):
    """Set the reserve's minimum collateral ratio after a mint to RATIO, a decimal (1.05)
    or a percentage (105%). Bounds: 100% to 300%."""
    new = parse_ratio(ratio)
    within(
        new,
        limits.MIN_RATIO_FLOOR_WAD,
        limits.MIN_RATIO_CEILING_WAD,
        "the minimum collateral ratio",
        percent_wad,
        "Reserve.MIN_RATIO_FLOOR_WAD to MIN_RATIO_CEILING_WAD",
    )
    reserve = s.system.reserve
    current = int(reserve.minCollateralRatioWad())
    return change(
        s,
        reserve,
        "setMinCollateralRatio",
        (new,),
        param="min-ratio",
        what="the minimum collateral ratio of Reserve",
        current=(current, percent_wad(current)),
        new=(new, percent_wad(new)),
    )


@treasury_command(group, "fee", role="governor")
@click.argument("fee_bps", metavar="BPS", type=int)
def fee(s, fee_bps):
    """Set the redemption fee to BPS basis points (100 bps = 1%), kept by the reserve in
    cash. Bounds: 0 to 100 bps."""
    within(
        fee_bps,
        0,
        limits.MAX_REDEMPTION_FEE_BPS,
        "the redemption fee",
        bps,
        "Reserve.MAX_REDEMPTION_FEE_BPS",
    )
    reserve = s.system.reserve
    current = int(reserve.redemptionFeeBps())
    return change(
        s,
        reserve,
        "setRedemptionFee",
        (fee_bps,),
        param="fee",
        what="the redemption fee of Reserve",
        current=(current, bps(current)),
        new=(fee_bps, bps(fee_bps)),
    )


@treasury_command(group, "minter-allowance", role="governor")
@click.argument("minter", type=ADDRESS)
@click.argument("amount", type=AMOUNT)
def minter_allowance(s, minter, amount):
    """Set MINTER's remaining mint allowance to AMOUNT stablecoin (0 stops it minting).
    The allowance falls with every mint; this sets it, it does not add to it."""
    who = s.address(minter, "minter")
    if who == ZERO:
        raise InputError("minter: the zero address cannot mint")
    new = parse_amount(amount, 18, s.op.coin_symbol, allow_zero=True)
    held, _ = s.system.manager.hasRole(int(Role.MINTER), who)
    if not held:
        s.print(f"note: {who} does not hold the minter role (the allowance waits for a grant)")
    current = int(s.system.reserve.minterAllowance(who))
    return change(
        s,
        s.system.reserve,
        "setMinterAllowance",
        (who, new),
        param="minter-allowance",
        what=f"the mint allowance of {who}",
        current=(current, s.show_coin(current)),
        new=(new, s.show_coin(new)),
    ) | {"minter": who}


# ------------------------------------------------------------------ feeds


@treasury_command(group, "feed-deviation", role="governor")
@click.argument("feed")
@click.argument("deviation_bps", metavar="BPS", type=int)
def feed_deviation(s, feed, deviation_bps):
    """Set FEED's deviation bound (the largest move a report may make within the window)
    to BPS basis points. FEED: an asset symbol of the manifest (e.g. eSHL). Bounds: 10 to
    5,000 bps."""
    contract = feed_of(s, feed)
    within(
        deviation_bps,
        limits.MIN_DEVIATION_BPS,
        limits.MAX_DEVIATION_BPS,
        "the deviation bound",
        bps,
        "ReportedPriceFeed.MIN_DEVIATION_BPS to MAX_DEVIATION_BPS",
    )
    current = int(contract.maxDeviationBps())
    return change(
        s,
        contract,
        "setMaxDeviation",
        (deviation_bps,),
        param="feed-deviation",
        what=f"the deviation bound of the {feed} feed",
        current=(current, bps(current)),
        new=(deviation_bps, bps(deviation_bps)),
    ) | {"feed": feed}


@treasury_command(group, "feed-window", role="governor")
@click.argument("feed")
@click.argument("seconds", type=int)
def feed_window(s, feed, seconds):
    """Set the sliding window FEED's deviation bound holds over to SECONDS. Bounds: 3,600
    (1 hour) to 604,800 (7 days)."""
    contract = feed_of(s, feed)
    within(
        seconds,
        limits.MIN_DEVIATION_WINDOW,
        limits.MAX_DEVIATION_WINDOW,
        "the deviation window",
        duration,
        "ReportedPriceFeed.MIN_DEVIATION_WINDOW to MAX_DEVIATION_WINDOW",
    )
    current = int(contract.deviationWindow())
    return change(
        s,
        contract,
        "setDeviationWindow",
        (seconds,),
        param="feed-window",
        what=f"the deviation window of the {feed} feed",
        current=(current, duration(current)),
        new=(seconds, duration(seconds)),
    ) | {"feed": feed}


# ------------------------------------------------------------------ the vault


def deposit_cap(s, vault) -> int:
    """The vault's cap in force; uint256 max when uncapped. A vault starts uncapped with
    ``depositCap()`` reading 0 (its private ``_capped`` flag is false, and no view shows
    it): a 0 is a cap only when a ``DepositCapSet`` event set it."""
    from sovereign import events

    cap = int(vault.depositCap())
    if cap != 0:
        return cap
    for _ in events.scan(vault.DepositCapSet, events.deployment_block(s.manifest)):
        return 0
    return UINT256_MAX


@treasury_command(group, "vault-cap", role="governor")
@click.argument("amount")
def vault_cap(s, amount):
    """Set the T-bill vault's deposit cap (its net asset value, in settlement cash) to
    AMOUNT, or `none` for no cap. A cap below the vault's value stops new deposits."""
    vault = s.system.vault
    if vault is None:
        from sovereign.operations import OperationRefused

        raise OperationRefused("this deployment has no T-bill vault")
    if amount.strip().lower() in ("none", "uncapped"):
        new = UINT256_MAX
    else:
        new = parse_amount(amount, s.cash_decimals, s.cash_symbol, allow_zero=True)

    def show(cap: int) -> str:
        return "none (uncapped)" if cap == UINT256_MAX else s.show_cash(cap)

    current = deposit_cap(s, vault)
    return change(
        s,
        vault,
        "setDepositCap",
        (new,),
        param="vault-cap",
        what="the deposit cap of TBillVault",
        current=(current, show(current)),
        new=(new, show(new)),
    )


# ------------------------------------------------------------------ bonds


@treasury_command(group, "maturity-haircuts", role="governor")
@click.argument("tiers", metavar="BPS,BPS,BPS,BPS,BPS")
def maturity_haircuts(s, tiers):
    """Set the bond registry's haircut tiers by remaining maturity (up to 1, 3, 5 and 10
    years, and beyond), five basis-point values, e.g. 200,600,1000,1800,2500. Each every
    BondValueFeed applies; bounds: 0 to 5,000 bps, none below the shorter tier before it."""
    from sovereign.calls import maturity_tiers

    registry = s.system.bond_registry
    if registry is None:
        from sovereign.operations import OperationRefused

        raise OperationRefused("this deployment has no bond registry")
    parts = [p.strip() for p in tiers.split(",")]
    if len(parts) != 5 or not all(p.isascii() and p.isdigit() for p in parts):
        raise InputError(
            f"{tiers!r}: give five whole basis-point values, e.g. 200,600,1000,1800,2500"
        )
    new = [int(p) for p in parts]
    for i, value in enumerate(new):
        within(
            value,
            new[i - 1] if i else 0,
            limits.MAX_MATURITY_HAIRCUT_BPS,
            f"tier {i}'s haircut",
            bps,
            "the tier before it to BondRegistry.MAX_MATURITY_HAIRCUT_BPS",
        )
    current = [int(v) for v in registry.maturityHaircuts()]
    return change(
        s,
        registry,
        "setMaturityHaircuts",
        (new,),
        param="maturity-haircuts",
        what="the maturity haircuts of BondRegistry",
        current=(current, maturity_tiers(current)),
        new=(new, maturity_tiers(new)),
    )
