"""Deployment configuration files (YAML) -> SystemConfig and role holders.

Unknown keys, wrong types and out-of-range values are refused in one line
before anything is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from sovereign import limits
from sovereign.deploy import CASH, CollateralSpec, SystemConfig
from sovereign.deploycommodity import CommoditySpec, FxSpec
from sovereign.deployconfig_commodity import parse_commodities, parse_fx
from sovereign.inputs import InputError, resolve_address
from sovereign.roles import HOLDER_LABELS
from sovereign.units import BPS, WAD

MAX_DELAY = 30 * limits.DAY  # [s] the longest execution delay a file may ask for

# file key path -> (SystemConfig field, kind)
_FIELDS = {
    ("stablecoin", "name"): ("stablecoin_name", str),
    ("stablecoin", "symbol"): ("stablecoin_symbol", str),
    ("cash", "name"): ("cash_name", str),
    ("cash", "symbol"): ("cash_symbol", str),
    ("cash", "decimals"): ("cash_decimals", int),
    ("min_collateral_ratio",): ("min_collateral_ratio", Decimal),
    ("redemption_fee_bps",): ("redemption_fee_bps", int),
    ("redemption_desk",): ("redemption_desk", bool),
    ("delays", "governor"): ("governor_delay", int),
    ("delays", "admin"): ("admin_delay", int),
    ("feed_max_deviation_bps",): ("feed_max_deviation_bps", int),
    ("feed_deviation_window",): ("feed_deviation_window", int),
    ("minter_allowance",): ("minter_allowance", Decimal),
    ("ceilings", "bills"): ("bills_ceiling", Decimal),
    ("ceilings", "bonds"): ("bonds_ceiling", Decimal),
    ("vault", "name"): ("vault_name", str),
    ("vault", "symbol"): ("vault_symbol", str),
    ("vault", "share_haircut_bps"): ("vault_share_haircut_bps", int),
    ("vault", "share_cap_bps"): ("vault_share_cap_bps", int),
}
_BOUNDS = {
    "cash_decimals": (0, 18),
    "bills_ceiling": (Decimal(0), Decimal(limits.MAX_CEILING_WAD) / WAD),
    "bonds_ceiling": (Decimal(0), Decimal(limits.MAX_CEILING_WAD) / WAD),
    "min_collateral_ratio": (
        Decimal(limits.MIN_RATIO_FLOOR_WAD) / WAD,
        Decimal(limits.MIN_RATIO_CEILING_WAD) / WAD,
    ),
    "redemption_fee_bps": (0, limits.MAX_REDEMPTION_FEE_BPS),
    # At least the manager's MIN_EXECUTION_DELAY: the guardian's veto window. The upper
    # bound (30 days) is this tool's own guard against a typo, not the contract's.
    "governor_delay": (limits.MIN_EXECUTION_DELAY, MAX_DELAY),
    "admin_delay": (limits.MIN_EXECUTION_DELAY, MAX_DELAY),
    "feed_max_deviation_bps": (limits.MIN_DEVIATION_BPS, limits.MAX_DEVIATION_BPS),
    "feed_deviation_window": (limits.MIN_DEVIATION_WINDOW, limits.MAX_DEVIATION_WINDOW),
    "vault_share_haircut_bps": (0, limits.MAX_HAIRCUT_BPS),
    "vault_share_cap_bps": (limits.MIN_CONCENTRATION_CAP_BPS, BPS),
}


# One entry of `collateral:`: key -> (kind, bounds, default). Bounds are the
# Reserve's own (sovereign.limits), checked here so that a bad file fails before the
# first transaction; an oracle stub's decimals are at most 18 (ReportedPriceFeed), and
# at least 6 here.
_COLLATERAL_KEYS = {
    "symbol": (str, None, None),
    "token": (str, None, None),
    "feed": (str, None, None),
    "feed_decimals": (int, (6, 18), 8),
    "heartbeat": (int, (limits.MIN_HEARTBEAT, limits.MAX_HEARTBEAT), 86_400),
    "haircut_bps": (int, (0, limits.MAX_HAIRCUT_BPS), 200),
    "cap_bps": (int, (limits.MIN_CONCENTRATION_CAP_BPS, BPS), BPS),
    # The oracle stub's first answer (a decimal string); none leaves it unpriced.
    "price": (Decimal, (Decimal("0"), Decimal("1000000000")), None),
}


def _collateral(path, value) -> list[CollateralSpec]:
    """`collateral:` entries -> CollateralSpec. `token: cash` names the system's own
    settlement cash; without `feed` an oracle stub (ReportedPriceFeed) is deployed."""
    if not isinstance(value, list):
        raise InputError(f"{path}: collateral must be a list of assets")
    specs, seen = [], set()
    for i, entry in enumerate(value):
        where = f"collateral[{i}]"
        if not isinstance(entry, dict):
            raise InputError(f"{path}: {where} must be a mapping")
        unknown = sorted(set(entry) - set(_COLLATERAL_KEYS))
        missing = sorted({"symbol", "token"} - set(entry))
        if unknown or missing:
            raise InputError(f"{path}: {where}: missing {missing}, unknown {unknown}")
        got = {
            key: _convert(path, f"{where}.{key}", entry[key], kind, bounds)
            if key in entry
            else default
            for key, (kind, bounds, default) in _COLLATERAL_KEYS.items()
        }
        if got["symbol"] in seen:
            raise InputError(f"{path}: {where}: symbol {got['symbol']!r} is listed twice")
        seen.add(got["symbol"])
        try:
            token = CASH if got["token"] == "cash" else resolve_address(got["token"])
            feed = resolve_address(got["feed"]) if got["feed"] else None
        except InputError as err:
            raise InputError(f"{path}: {where}: {err}") from None
        specs.append(
            CollateralSpec(
                got["symbol"],
                token,
                feed=feed,
                feed_decimals=got["feed_decimals"],
                heartbeat=got["heartbeat"],
                haircut_bps=got["haircut_bps"],
                concentration_cap_bps=got["cap_bps"],
                initial_price=got["price"],
            )
        )
    return specs


# Top-level sections read whole by their own parsers.
_SECTIONS = (("holders",), ("collateral",), ("fx",), ("commodities",))


@dataclass
class DeployConfig:
    """What a deployment file says: the settings, the role holders (None: the local
    layout), the collateral, and the commodity reserves with their FX fixing."""

    system: SystemConfig = field(default_factory=SystemConfig)
    holders: dict[str, str] | None = None
    collateral: list[CollateralSpec] = field(default_factory=list)
    fx: FxSpec | None = None
    # Attesters and custodian accounts may still be role labels:
    # deployconfig_commodity.resolve_holders turns them into addresses.
    commodities: list[CommoditySpec] = field(default_factory=list)


def _flatten(data: dict, prefix: tuple = ()) -> dict[tuple, object]:
    out = {}
    for key, value in data.items():
        path = (*prefix, str(key))
        if isinstance(value, dict) and path not in _SECTIONS:
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def load_deploy_config(path: Path) -> DeployConfig:
    """The file's settings, role holders, collateral, FX fixing and commodities."""
    if not path.is_file():
        raise InputError(f"{path}: no such configuration file")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise InputError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: the top level must be a mapping")
    out = DeployConfig()
    for key_path, value in _flatten(data).items():
        name = ".".join(key_path)
        if key_path == ("holders",):
            out.holders = _holders(path, value)
        elif key_path == ("collateral",):
            out.collateral = _collateral(path, value)
        elif key_path == ("fx",):
            out.fx = parse_fx(path, value, _convert)
        elif key_path == ("commodities",):
            out.commodities = parse_commodities(path, value, _convert)
        elif key_path not in _FIELDS:
            raise InputError(f"{path}: unknown setting {name!r}")
        else:
            field_name, kind = _FIELDS[key_path]
            converted = _convert(path, name, value, kind, _BOUNDS.get(field_name))
            setattr(out.system, field_name, converted)
    if out.commodities and out.fx is None:
        raise InputError(f"{path}: commodities need an fx section (their prices' conversion)")
    if out.fx is not None and not out.commodities:
        raise InputError(f"{path}: an fx section without commodities converts nothing")
    return out


def _convert(path, name, value, kind, bounds):
    if kind is str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{path}: {name} must be a non-empty string")
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise InputError(f"{path}: {name} must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{path}: {name} must be a whole number, not {value!r}")
        converted = value
    else:  # Decimal: written as a string, so that no float ever touches it
        if not isinstance(value, str):
            raise InputError(f'{path}: {name} must be a quoted decimal string like "1.02"')
        try:
            converted = Decimal(value)
        except InvalidOperation:
            raise InputError(f"{path}: {name} {value!r} is not a decimal number") from None
    if bounds and not bounds[0] <= converted <= bounds[1]:
        raise InputError(f"{path}: {name} {value} is outside [{bounds[0]}, {bounds[1]}]")
    return converted


def _holders(path, value) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError(f"{path}: holders must map role labels to addresses")
    unknown = sorted(set(value) - set(HOLDER_LABELS))
    missing = sorted(set(HOLDER_LABELS) - set(value))
    if unknown or missing:
        raise InputError(f"{path}: holders: missing {missing}, unknown {unknown}")
    try:
        return {label: resolve_address(str(value[label])) for label in HOLDER_LABELS}
    except InputError as err:
        raise InputError(f"{path}: holders: {err}") from None
