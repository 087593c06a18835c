"""The transparency report read from the chain: every figure the public page shows
(``ape treasury report --html DIR``), at one named block, as one JSON document.

Every number here is read from the chain at ``block``: the supply, the counted
collateral by asset and by asset class, the collateral ratio and its history since the
deployment (the ratio at every block where the supply changed, read from the
stablecoin's mint and burn events, page by page, then ``collateralRatio()`` at that
block), feed and attestation ages with their expiries, the T-bill ladder, the bond
schedules, the redemption queue and its buckets, pending governance operations, role
holders by label, and every contract's address. Anyone with a node can reproduce it:
``report.json`` names the block.

Amounts stay integers (token units, WAD values) beside their decimals; the page formats
them exactly with their symbols.
"""

from __future__ import annotations

from sovereign import events
from sovereign.desk import read_desk
from sovereign.status import read_status

ZERO = "0x" + "0" * 40
# What kind of asset each collateral is, by how the deployment names it.
CLASS_OF_KIND = {"vault": "T-bills (vault shares)", "bond": "bonds", "commodity": "commodities",
                 "cash": "cash", "other": "other debt"}  # fmt: skip
MAX_HISTORY_POINTS = 500


def read_report(system, manifest: dict) -> dict:
    from ape import chain

    head = chain.blocks.head
    block, start = head.number, events.deployment_block(manifest)
    status = read_status(system, manifest)
    for asset in status["assets"]:
        asset["class"] = CLASS_OF_KIND[_kind(system, asset["asset"])]
    by_class: dict[str, int] = {}
    for asset in status["assets"]:
        by_class[asset["class"]] = by_class.get(asset["class"], 0) + asset["haircut_value_wad"]
    return {
        "block": block,
        "timestamp": head.timestamp,
        "chain_id": chain.chain_id,
        "deployment_block": start,
        "status": status,
        "counted_by_class_wad": by_class,
        "counted_by_asset_wad": _counted(system),
        "ratio_history": ratio_history(system, start, block),
        "redemptions": read_desk(system, head.timestamp),
        "pending": _pending(system, manifest, start),
        "roles": _roles(system, manifest, start),
        "contracts": {name: c.address for name, c in system.contracts().items()},
    }


def _kind(system, asset: str) -> str:
    if system.vault is not None and asset == system.vault.address:
        return "vault"
    if system.cash is not None and asset == system.cash.address:
        return "cash"
    book = system.commodity
    if book is not None and any(c.token.address == asset for c in book.commodities.values()):
        return "commodity"
    if any(f.series().lower() == asset.lower() for f in system.bond_feeds.values()):
        return "bond"
    return "other"


def _counted(system) -> dict[str, int]:
    """What each asset counts for after the concentration caps (the reserve's own split)."""
    assets, _, counted, _ = system.reserve.collateralBreakdown()
    return {str(a): int(c) for a, c in zip(assets, counted, strict=True)}


def ratio_history(system, start: int, head: int) -> list[dict]:
    """The ratio at each block where it can have moved: a mint or a burn of the coin (its
    Transfer events from or to zero) or a price report of any feed (AnswerUpdated,
    AnswerForced), read at that block, and at the head; at most MAX_HISTORY_POINTS,
    evenly thinned, the last kept."""
    coin, reserve = system.stablecoin, system.reserve
    blocks = {head}
    for log in events.scan(coin.Transfer, start, head + 1):
        if ZERO in (log.event_arguments["from"], log.event_arguments["to"]):
            blocks.add(int(log.block_number))
    for feed in system.feeds.values():
        for event in (feed.AnswerUpdated, feed.AnswerForced):
            blocks |= {int(log.block_number) for log in events.scan(event, start, head + 1)}
    blocks = sorted(blocks)
    if len(blocks) > MAX_HISTORY_POINTS:
        step = len(blocks) / MAX_HISTORY_POINTS
        blocks = [blocks[int(i * step)] for i in range(MAX_HISTORY_POINTS - 1)] + [blocks[-1]]
    out = []
    for number in blocks:
        supply = int(coin.totalSupply(block_id=number))
        ratio = int(reserve.collateralRatio(block_id=number)) if supply else None
        out.append({
            "block": number,
            "timestamp": int(_timestamp(number)),
            "supply": supply,
            "ratio_wad": ratio,
            "min_ratio_wad": int(reserve.minCollateralRatioWad(block_id=number)),
        })  # fmt: skip
    return out


def _timestamp(number: int) -> int:
    from ape import chain

    return chain.blocks[number].timestamp


def _pending(system, manifest: dict, start: int) -> list[dict]:
    from sovereign.manifest import labels
    from sovereign.pending import read_pending

    return [op.as_dict() for op in read_pending(system, labels(manifest), start,
                                                include_expired=False)]  # fmt: skip


def _roles(system, manifest: dict, start: int) -> list[dict]:
    from sovereign.rolematrix import read_role_matrix

    names = {c.address: name for name, c in system.contracts().items()}
    names |= {address: label for label, address in manifest["holders"].items()}
    out = []
    for row in read_role_matrix(system, start):
        holders = [{"account": h["account"], "label": names.get(h["account"], ""),
                    "execution_delay": h["execution_delay"]} for h in row["holders"]]  # fmt: skip
        out.append({"role": row["role"], "holders": holders})
    return out
