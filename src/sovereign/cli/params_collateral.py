"""``ape treasury params collateral …``: list, reconfigure or remove a reserve collateral asset.

Each change is the governor's, through its delay, as every ``params`` command; a value
outside the contract's bounds is refused before anything is simulated.
"""

from __future__ import annotations

import click

from sovereign import limits
from sovereign.calls import bps
from sovereign.cli.base import treasury_command
from sovereign.cli.params_change import ZERO, change, duration, within
from sovereign.inputs import InputError

collateral = click.Group(
    "collateral", help="The reserve's collateral assets: list, reconfigure, remove."
)


def listed_assets(s) -> dict[str, str]:
    """symbol -> address of the reserve's listed collateral assets."""
    from sovereign import artifacts

    out = {}
    for address in s.system.reserve.collateralAssets():
        try:
            out[str(artifacts.at("MockERC20", address).symbol())] = address
        except Exception:  # noqa: BLE001 - an asset without symbol(): by address only
            continue
    return out


def asset_of(s, text: str) -> str:
    """A listed asset's symbol, a manifest label, or an address."""
    listed = listed_assets(s)
    if text in listed:
        return listed[text]
    return s.address(text, "asset")


def asset_words(s, address: str) -> str:
    from sovereign import artifacts

    try:
        return f"{artifacts.at('MockERC20', address).symbol()} ({address})"
    except Exception:  # noqa: BLE001
        return address


FIELDS = ("feed", "heartbeat", "haircut", "concentration cap")


def _config_parts(s, config) -> list[str]:
    """A collateral configuration (feed, heartbeat, haircut, cap), field by field."""
    feed, heartbeat, haircut, cap = config
    feeds = {f.address: sym for sym, f in s.system.feeds.items()}
    shown_feed = f"the {feeds[feed]} feed ({feed})" if feed in feeds else feed
    values = (shown_feed, duration(heartbeat), bps(haircut), bps(cap))
    return [f"{name} {value}" for name, value in zip(FIELDS, values, strict=True)]


def _config_words(s, config) -> str:
    return ", ".join(_config_parts(s, config))


# ------------------------------------------------------------------ the commands


@treasury_command(collateral, "set", role="governor")
@click.argument("asset")
@click.option("--feed", help="its price feed: a feed symbol of the manifest, a label or address")
@click.option("--heartbeat", type=int, help="oldest acceptable price [s], 60 to 604,800")
@click.option("--haircut", type=int, help="value not counted [bps], 0 to 9,000")
@click.option("--cap", type=int, help="largest share of the counted total [bps], 100 to 10,000")
def collateral_set(s, asset, feed, heartbeat, haircut, cap):
    """List ASSET (an address, a label, or a listed asset's symbol) as collateral, or
    change its configuration. A new asset needs every option; for a listed one the
    options left out keep their current values."""
    reserve = s.system.reserve
    address = asset_of(s, asset)
    if address in (ZERO, s.system.stablecoin.address):
        raise InputError(f"asset: {address} cannot be collateral (the zero address or the coin)")
    cfg = reserve.collateralConfig(address)
    listed = bool(cfg.listed)
    if listed:
        old = (str(cfg.feed), int(cfg.heartbeat), int(cfg.haircutBps), int(cfg.concentrationCapBps))
    else:
        missing = [
            f"--{name}"
            for name, value in (
                ("feed", feed),
                ("heartbeat", heartbeat),
                ("haircut", haircut),
                ("cap", cap),
            )
            if value is None
        ]
        if missing:
            raise InputError(
                f"{asset_words(s, address)} is not listed yet: a new collateral asset needs "
                f"{', '.join(missing)}"
            )
        count = len(reserve.collateralAssets())
        if count >= limits.MAX_ASSETS:
            raise InputError(
                f"the reserve lists {count} assets already, the contract's maximum "
                f"(Reserve.MAX_ASSETS = {limits.MAX_ASSETS}): remove one first"
            )
        old = None
    if feed is None:
        new_feed = old[0]
    elif feed in s.system.feeds:
        new_feed = s.system.feeds[feed].address
    else:
        new_feed = s.address(feed, "feed")
    if new_feed == ZERO:
        raise InputError("feed: the zero address is no feed")
    new = (
        new_feed,
        old[1] if heartbeat is None else heartbeat,
        old[2] if haircut is None else haircut,
        old[3] if cap is None else cap,
    )
    within(
        new[1],
        limits.MIN_HEARTBEAT,
        limits.MAX_HEARTBEAT,
        "the heartbeat",
        duration,
        "Reserve.MIN_HEARTBEAT to MAX_HEARTBEAT",
    )
    within(new[2], 0, limits.MAX_HAIRCUT_BPS, "the haircut", bps, "Reserve.MAX_HAIRCUT_BPS")
    within(
        new[3],
        limits.MIN_CONCENTRATION_CAP_BPS,
        10_000,
        "the concentration cap",
        bps,
        "Reserve.MIN_CONCENTRATION_CAP_BPS to 100%",
    )
    name = asset_words(s, address)
    if old is None:
        shown_now, shown_new = "not listed", _config_words(s, new)
        action = f"listing {name} as collateral: {shown_new}"
    else:
        # Only the fields that change, so that the line says what the change is.
        changed = [
            (a, b)
            for a, b in zip(_config_parts(s, old), _config_parts(s, new), strict=True)
            if a != b
        ]
        shown_now = ", ".join(a for a, _ in changed) or _config_words(s, old)
        shown_new = ", ".join(b for _, b in changed) or _config_words(s, new)
        action = f"reconfiguring the collateral {name}: {shown_now} -> {shown_new}"
    return change(
        s,
        reserve,
        "setCollateral",
        (address, *new),
        param="collateral",
        what=f"the collateral {name}",
        current=(list(old) if old else None, shown_now),
        new=(list(new), shown_new),
        action=action,
    ) | {"asset": address}


@treasury_command(collateral, "remove", role="governor")
@click.argument("asset")
def collateral_remove(s, asset):
    """Remove ASSET from the collateral list: its balance stays in the reserve, uncounted
    (the collateral ratio falls by its counted value)."""
    reserve = s.system.reserve
    address = asset_of(s, asset)
    cfg = reserve.collateralConfig(address)
    name = asset_words(s, address)
    if not cfg.listed:
        raise InputError(f"{name} is not listed as collateral: nothing to remove")
    old = (str(cfg.feed), int(cfg.heartbeat), int(cfg.haircutBps), int(cfg.concentrationCapBps))
    return change(
        s,
        reserve,
        "removeCollateral",
        (address,),
        param="collateral",
        what=f"the collateral {name}",
        current=(list(old), "listed: " + _config_words(s, old)),
        new=(None, "not listed"),
        action=f"removing {name} from the collateral",
    ) | {"asset": address}
