"""The reserve's collateral list and the vault's holders, as the CLI shows them.

Which assets the reserve lists (with its balance of each, the haircut, the cap and
the feed's answer and age), how an operator names one (the token's symbol, the
manifest's symbol, a manifest label or an address), and exact amounts of any of
them with their symbol. Read-only: the writes are the CLI's (``sovereign.cli``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ape import chain
from eth_utils import is_hex_address

from sovereign import artifacts
from sovereign.inputs import InputError, parse_amount, resolve_address
from sovereign.units import format_amount

_ZERO = "0x" + "0" * 40


@dataclass(frozen=True)
class Asset:
    """An ERC-20 the reserve may hold: its address, symbol and decimals."""

    address: str
    symbol: str  # the token's own symbol()
    decimals: int
    listed: bool = True
    name: str | None = None  # the manifest's symbol for it (its feed's key), when it differs

    def show(self, units: int) -> str:
        """``units`` exactly, with the symbol: ``1,000,000.00 SB30``."""
        return f"{format_amount(int(units), self.decimals)} {self.symbol}"

    def parse(self, text: str, what: str | None = None) -> int:
        """Operator text -> units, refusing more decimals than the token has."""
        return parse_amount(text, self.decimals, what or self.symbol)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.symbol, self.name) if n)


def _manifest_names(system, manifest: dict) -> dict[str, str]:
    """asset address -> the symbol the manifest's ``collateral`` list gives it."""
    out = {}
    for entry in manifest.get("collateral") or ():
        asset = entry.get("asset")
        if asset == "cash" and system.cash is not None:
            asset = system.cash.address
        if isinstance(asset, str) and is_hex_address(asset) and entry.get("symbol"):
            out[asset] = str(entry["symbol"])
    return out


def token(system, address: str):
    """An ERC-20 instance at ``address``: the system's own where it is one of them."""
    for known in (system.cash, system.vault, system.stablecoin):
        if known is not None and known.address == address:
            return known
    return artifacts.at("MockERC20", address)  # an ERC-20 ABI for any token


def listed_assets(system, manifest: dict) -> list[Asset]:
    """The reserve's collateral list, in its order."""
    names = _manifest_names(system, manifest)
    out = []
    for address in system.reserve.collateralAssets():
        cfg = system.reserve.collateralConfig(address)
        symbol = str(token(system, address).symbol())
        name = names.get(address)
        out.append(
            Asset(
                address,
                symbol,
                int(cfg.assetDecimals),
                True,
                name if name and name != symbol else None,
            )
        )
    return out


def _known(assets: list[Asset]) -> str:
    return ", ".join(f"{a.symbol} ({a.address})" for a in assets) or "none"


def find_asset(
    system,
    manifest: dict,
    text: str,
    labels: dict[str, str],
    *,
    allow_unlisted: bool = False,
) -> Asset:
    """The asset an operator names: a symbol (the token's, or the manifest's as in its
    feeds), a manifest label (``settlementcash``, ``tbillvault``) or an address.

    An asset the reserve does not list is refused, naming the listed ones; with
    ``allow_unlisted`` a token given by address (or label) that the reserve holds is
    accepted (one the governor removed from the list can still be withdrawn)."""
    raw = text.strip()
    assets = listed_assets(system, manifest)
    by_address = {a.address: a for a in assets}
    address = None
    if re.fullmatch(r"0[xX][0-9a-fA-F]*", raw):
        address = resolve_address(raw)  # checksummed, or refused naming the right form
    elif raw in labels:
        address = labels[raw]
    else:
        exact = [a for a in assets if raw in a.names]
        loose = [a for a in assets if raw.lower() in (n.lower() for n in a.names)]
        for found in (exact, loose):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise InputError(
                    f"{raw!r} names {len(found)} listed assets ({_known(found)}): "
                    "give the address"
                )
    if address is not None and address in by_address:
        return by_address[address]
    if address is not None and allow_unlisted and address != _ZERO:
        if not chain.provider.web3.eth.get_code(address):
            raise InputError(f"asset {address}: no contract at that address")
        erc20 = token(system, address)
        try:
            found = Asset(address, str(erc20.symbol()), int(erc20.decimals()), listed=False)
        except Exception:  # noqa: BLE001 - whatever a non-ERC-20 raises on symbol()
            raise InputError(f"asset {address}: not an ERC-20 token (no symbol)") from None
        if int(erc20.balanceOf(system.reserve.address)) == 0:
            raise InputError(
                f"{found.symbol} ({address}) is not a listed collateral asset and the reserve "
                f"holds none of it; listed: {_known(assets)}"
            )
        return found
    shown = address or repr(raw)
    raise InputError(f"{shown} is not a listed collateral asset; listed: {_known(assets)}")


def collateral_rows(system, manifest: dict, labels: dict[str, str]) -> list[dict]:
    """Each listed asset: the reserve's balance, haircut, cap, feed, price and its age."""
    reserve = system.reserve
    now = chain.blocks.head.timestamp
    by_address = {address: label for label, address in labels.items()}
    rows = []
    for asset in listed_assets(system, manifest):
        cfg = reserve.collateralConfig(asset.address)
        balance, answer, updated_at, usable, haircut_value = reserve.assetStatus(asset.address)
        feed = artifacts.at("ReportedPriceFeed", cfg.feed)  # decimals() of any AggregatorV3
        price_decimals = int(feed.decimals())
        age = now - int(updated_at) if int(updated_at) else None
        rows.append(
            {
                "asset": asset.address,
                "symbol": asset.symbol,
                "manifest_symbol": asset.name or asset.symbol,
                "decimals": asset.decimals,
                "balance": int(balance),
                "balance_shown": asset.show(balance),
                "haircut_bps": int(cfg.haircutBps),
                "concentration_cap_bps": int(cfg.concentrationCapBps),
                "feed": cfg.feed,
                "feed_label": by_address.get(cfg.feed),
                "price": int(answer),
                "price_decimals": price_decimals,
                "price_shown": format_amount(max(int(answer), 0), price_decimals),
                "updated_at": int(updated_at),
                "feed_age_seconds": age,
                "heartbeat_seconds": int(cfg.heartbeat),
                "fresh": bool(usable),
                "haircut_value_wad": int(haircut_value),
            }
        )
    return rows


def bps(value: int) -> str:
    """Basis points as an exact percentage: ``250 -> "2.50%"``."""
    return f"{format_amount(int(value), 2)}%"
