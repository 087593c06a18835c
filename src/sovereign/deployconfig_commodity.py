"""The deployment file's ``fx:`` and ``commodities:`` sections -> FxSpec, CommoditySpec.

Refused in one line, as the rest of the file: unknown keys, wrong types, values outside
the contracts' bounds (FxConvertedFeed's, the Reserve's, ReserveAttestations',
ProgramCeilings'). Attesters and custodian accounts may be role labels (``custodian``):
they stay labels here and ``resolve_holders`` turns them into the deployment's role
holders once those are known (on a local chain, Anvil's layout).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sovereign import limits
from sovereign.deploycommodity import CommoditySpec, FxSpec
from sovereign.inputs import InputError, resolve_address
from sovereign.roles import HOLDER_LABELS
from sovereign.units import BPS

MAX_ATTESTERS = 16  # ReserveAttestations.MAX_ATTESTERS
MAX_CEILING = Decimal(10) ** 15  # ProgramCeilings.MAX_CEILING_WAD, in the peg currency
MAX_PRICE = Decimal(10) ** 12  # this tool's guard against a typo, not a contract's
# The debt registries' classes in ProgramCeilings: not a commodity's (deployphases).
DEBT_CLASSES = ("BILLS", "BONDS")
TEXT_BYTES = 31  # names, symbols and classes as bytes32 text, with room for its end

# key -> (kind, bounds, default); a default of ... marks a required key.
_FX_KEYS = {
    "quote": (str, None, "USD"),
    "rate": (Decimal, (Decimal(0), MAX_PRICE), ...),
    "heartbeat": (int, (limits.MIN_HEARTBEAT, limits.MAX_HEARTBEAT), FxSpec.heartbeat),
    "closed_heartbeat": (int, (limits.MIN_HEARTBEAT, 14 * limits.DAY), FxSpec.closed_heartbeat),
    "lag": (int, (0, limits.MAX_LAG), FxSpec.lag),
    "closed_haircut_bps": (int, (0, limits.MAX_CLOSED_HAIRCUT_BPS), FxSpec.closed_haircut_bps),
    "min_rate": (Decimal, (Decimal(0), MAX_PRICE), None),
    "max_rate": (Decimal, (Decimal(0), MAX_PRICE), None),
}
_COMMODITY_KEYS = {
    "symbol": (str, None, ...),
    "name": (str, None, ...),
    "unit": (str, None, ...),
    "decimals": (int, (0, 18), ...),
    "class": (str, None, ...),
    "quote": (str, None, ...),
    "price": (Decimal, (Decimal(0), MAX_PRICE), None),
    "haircut_bps": (int, (0, limits.MAX_HAIRCUT_BPS), CommoditySpec.haircut_bps),
    "heartbeat": (int, (limits.MIN_HEARTBEAT, limits.MAX_HEARTBEAT), CommoditySpec.heartbeat),
    "cap_bps": (int, (limits.MIN_CONCENTRATION_CAP_BPS, BPS), BPS),
    "ceiling": (Decimal, (Decimal(0), MAX_CEILING), Decimal(0)),
    "attesters": (list, None, ()),
    "threshold": (int, (1, MAX_ATTESTERS), None),
    "custodians": (dict, None, {}),
}


def _entry(path, where: str, value, keys: dict, convert) -> dict:
    """The mapping ``value`` checked against ``keys`` and converted, defaults filled in."""
    if not isinstance(value, dict):
        raise InputError(f"{path}: {where} must be a mapping")
    unknown = sorted(set(map(str, value)) - set(keys))
    missing = sorted(k for k, (_, _, d) in keys.items() if d is ... and k not in value)
    if unknown or missing:
        raise InputError(f"{path}: {where}: missing {missing}, unknown {unknown}")
    out = {}
    for key, (kind, bounds, default) in keys.items():
        if key not in value:
            out[key] = default
        elif kind in (list, dict):
            if not isinstance(value[key], kind):
                shape = "a list" if kind is list else "a mapping"
                raise InputError(f"{path}: {where}.{key} must be {shape}")
            out[key] = value[key]
        else:
            out[key] = convert(path, f"{where}.{key}", value[key], kind, bounds)
            if kind is str:
                _text(path, f"{where}.{key}", out[key])
            if kind is Decimal and key != "ceiling" and out[key] == 0:
                raise InputError(f"{path}: {where}.{key} must be above zero")
    return out


def _text(path, name: str, text: str) -> None:
    if not text.isascii() or len(text.encode()) > TEXT_BYTES:
        raise InputError(f"{path}: {name} {text!r} must be ASCII, at most {TEXT_BYTES} bytes")


def _holder(path, name: str, value) -> str:
    """A role label (kept, resolved later) or a checksummed address."""
    text = str(value).strip()
    if text in HOLDER_LABELS:
        return text
    try:
        return resolve_address(text)
    except InputError as err:
        raise InputError(
            f"{path}: {name}: {err}; or a role label ({', '.join(HOLDER_LABELS)})"
        ) from None


def parse_fx(path, value, convert) -> FxSpec:
    got = _entry(path, "fx", value, _FX_KEYS, convert)
    if (got["min_rate"] is None) != (got["max_rate"] is None):
        raise InputError(f"{path}: fx: min_rate and max_rate go together")
    spec = FxSpec(
        quote=got["quote"],
        initial_rate=got["rate"],
        heartbeat=got["heartbeat"],
        closed_heartbeat=got["closed_heartbeat"],
        lag=got["lag"],
        closed_haircut_bps=got["closed_haircut_bps"],
        min_rate=got["min_rate"],
        max_rate=got["max_rate"],
    )
    low, high = spec.bounds()
    # FxConvertedFeed's own checks: one side of 1, within a factor of 10, the rate inside.
    if high >= 10 * low or (low <= 1 <= high):
        raise InputError(
            f"{path}: fx: the rate's range [{low}, {high}] must lie on one side of 1 and "
            "span less than a factor of 10"
        )
    if not low <= spec.initial_rate <= high:
        raise InputError(f"{path}: fx.rate {spec.initial_rate} is outside [{low}, {high}]")
    if spec.closed_heartbeat < spec.heartbeat:
        raise InputError(f"{path}: fx.closed_heartbeat is shorter than fx.heartbeat")
    return spec


def parse_commodities(path, value, convert) -> list[CommoditySpec]:
    if not isinstance(value, list) or not value:
        raise InputError(f"{path}: commodities must be a non-empty list")
    specs, seen = [], set()
    for i, entry in enumerate(value):
        where = f"commodities[{i}]"
        got = _entry(path, where, entry, _COMMODITY_KEYS, convert)
        if got["symbol"] in seen:
            raise InputError(f"{path}: {where}: symbol {got['symbol']!r} is listed twice")
        seen.add(got["symbol"])
        if got["class"] in DEBT_CLASSES:
            raise InputError(
                f"{path}: {where}.class {got['class']!r} is a debt registry's class "
                f"({', '.join(DEBT_CLASSES)}): its ceiling is set under ceilings:"
            )
        attesters = [_holder(path, f"{where}.attesters", a) for a in got["attesters"]]
        if len(set(attesters)) != len(attesters) or len(attesters) > MAX_ATTESTERS:
            raise InputError(f"{path}: {where}.attesters must be distinct, at most {MAX_ATTESTERS}")
        threshold = got["threshold"]
        if attesters and threshold is None:
            raise InputError(f"{path}: {where}: attesters need a threshold (how many sign)")
        if threshold is not None and threshold > len(attesters):
            raise InputError(
                f"{path}: {where}.threshold {threshold} is more than the "
                f"{len(attesters)} attesters"
            )
        custodians = []
        for name, account in got["custodians"].items():
            _text(path, f"{where}.custodians", str(name))
            custodians.append((str(name), _holder(path, f"{where}.custodians.{name}", account)))
        specs.append(
            CommoditySpec(
                got["symbol"],
                got["name"],
                got["unit"],
                got["decimals"],
                got["class"],
                got["quote"],
                initial_price=got["price"],
                heartbeat=got["heartbeat"],
                haircut_bps=got["haircut_bps"],
                concentration_cap_bps=got["cap_bps"],
                ceiling=got["ceiling"],
                attesters=tuple(attesters),
                threshold=threshold or 0,
                custodians=tuple(custodians),
            )  # fmt: skip
        )
    return specs


def resolve_holders(specs: list[CommoditySpec], holders: dict[str, str]) -> list[CommoditySpec]:
    """Each role label of the attesters and custodians -> its holder's address
    (``holders``: label -> address); refuses an attester named twice that way."""

    def address(text: str) -> str:
        return str(holders[text]) if text in holders else text

    out = []
    for spec in specs:
        attesters = tuple(address(a) for a in spec.attesters)
        if len(set(attesters)) != len(attesters):
            raise InputError(
                f"commodities {spec.symbol}: an attester is named twice (a label and its address)"
            )
        custodians = tuple((n, address(a)) for n, a in spec.custodians)
        out.append(replace(spec, attesters=attesters, custodians=custodians))
    return out
