"""A call in words: calldata decoded against one deployed system's ABIs and said in its units.

``Describer(system, labels).describe(target, data)`` names the function a call runs and
says what it does in the system's own units and names ("set the minimum collateral ratio
of Reserve to 105.00%", "grant minter to 0x… (label)"); a call outside the system, or to a
function without a sentence, is still named with its arguments. ``sovereign.pending``
describes each scheduled operation with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from sovereign.pauses import Pause, VaultPause
from sovereign.roles import HOLDER_LABELS, Role
from sovereign.sentences import Token, Units
from sovereign.sentences._fmt import Fmt, to_bytes
from sovereign.units import format_amount

UINT256_MAX = 2**256 - 1


def percent_wad(value: int) -> str:
    """A WAD ratio as a percentage, exactly, with at least two decimals: ``105.00%``."""
    pct = Decimal(int(value)).scaleb(-16).normalize()
    if pct.as_tuple().exponent > -2:
        pct = pct.quantize(Decimal("0.01"))
    return f"{pct:,f}%"


def bps(value: int) -> str:
    """Basis points with their percentage: ``25 -> "25 bps (0.25%)"``."""
    return f"{int(value):,} bps ({Fmt.bps(value)})"


def hex0x(raw) -> str:
    """bytes (or a hex string) as ``0x`` + lower-case hex."""
    if isinstance(raw, str):
        return raw.lower() if raw[:2].lower() == "0x" else "0x" + raw.lower()
    return "0x" + bytes(raw).hex()


# ------------------------------------------------------------------ decoding


@dataclass(frozen=True)
class Decoded:
    function: str | None
    args: dict = field(default_factory=dict)
    words: str = ""


def _jsonable(value):
    if isinstance(value, bytes | bytearray):
        return hex0x(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str) and len(value) == 42 and value[:2] == "0x":
        try:
            return to_checksum_address(value)
        except ValueError:
            return value
    return value


class Describer:
    """Calldata to one sentence, in the units and names of one deployed system."""

    def __init__(self, system, labels: Mapping[str, str]):
        self.system = system
        # address -> label: holders' labels win over contract names (they are the people)
        self.labels: dict[str, str] = {}
        holder_labels = set(HOLDER_LABELS)
        for name, address in labels.items():
            try:
                key = to_checksum_address(address)
            except (TypeError, ValueError):
                continue
            if key not in self.labels or name in holder_labels:
                self.labels[key] = name
        self.contracts = {to_checksum_address(c.address): c for c in system.contracts().values()}
        self.names = {
            to_checksum_address(c.address): name for name, c in system.contracts().items()
        }
        self.feed_symbols = {
            to_checksum_address(f.address): symbol for symbol, f in system.feeds.items()
        }
        self.coin = Token(system.config.stablecoin_symbol, 18)
        cash = system.cash
        self.cash = (
            Token(str(cash.symbol()), int(cash.decimals()))
            if cash is not None
            else Token(system.config.cash_symbol, system.config.cash_decimals)
        )
        self.fmt = Fmt(
            Units(coin=self.coin, cash=self.cash, labels=self.labels, functions=self._selectors())
        )

    def _selectors(self) -> dict[bytes, str]:
        out = {}
        for contract in self.system.contracts().values():
            for abi in contract.contract_type.mutable_methods:
                out[function_signature_to_4byte_selector(abi.selector)] = (
                    f"{contract.contract_type.name}.{abi.name}"
                )
        return out

    # ------------------------------------------------------------ names

    def label(self, address) -> str | None:
        try:
            return self.labels.get(to_checksum_address(address))
        except (TypeError, ValueError):
            return None

    def addr(self, address) -> str:
        """``0x… (label)``, or the address alone."""
        return self.fmt.addr(address)

    def contract_name(self, address) -> str:
        """A target in words: ``Reserve``, ``the eSHL feed``, or its address."""
        address = to_checksum_address(address)
        if address in self.feed_symbols:
            return f"the {self.feed_symbols[address]} feed"
        if address in self.names:
            return self.names[address]
        return self.addr(address)

    def token_name(self, address) -> str:
        """An ERC-20 as ``SYMBOL (0x…)``, its symbol read from chain when it has one."""
        from sovereign import artifacts

        address = to_checksum_address(address)
        try:
            symbol = str(artifacts.at("MockERC20", address).symbol())
        except Exception:  # noqa: BLE001 - not a token, or no symbol(): the address alone
            return self.addr(address)
        return f"{symbol} ({address})"

    def feed_name(self, address) -> str:
        address = to_checksum_address(address)
        if address in self.feed_symbols:
            return f"the {self.feed_symbols[address]} feed ({address})"
        return self.addr(address)

    def duration(self, seconds) -> str:
        return self.fmt.duration(seconds)

    @staticmethod
    def role(role_id) -> str:
        try:
            return Role(int(role_id)).label
        except ValueError:
            return f"role {int(role_id):,}"

    def amount(self, value, token: Token) -> str:
        return f"{format_amount(int(value), token.decimals)} {token.symbol}"

    # ------------------------------------------------------------ decoding

    def describe(self, target: str, data: bytes) -> Decoded:
        target = to_checksum_address(target)
        contract = self.contracts.get(target)
        if len(data) < 4:
            return Decoded(None, {}, f"call {self.contract_name(target)} with no function")
        selector = bytes(data[:4])
        if contract is None:
            where = f"{self.addr(target)} (function 0x{selector.hex()}, outside the system)"
            return Decoded(None, {}, f"call {where}")
        abi = next(
            (
                m
                for m in contract.contract_type.mutable_methods
                if function_signature_to_4byte_selector(m.selector) == selector
            ),
            None,
        )
        kind = contract.contract_type.name
        if abi is None:
            return Decoded(
                None, {}, f"call {self.contract_name(target)} (unknown function 0x{selector.hex()})"
            )
        function = f"{kind}.{abi.name}"
        try:
            values = abi_decode([i.canonical_type for i in abi.inputs], bytes(data[4:]))
        except Exception:  # noqa: BLE001 - malformed calldata: name the function only
            return Decoded(function, {}, f"call {function} with malformed arguments")
        names = [i.name or f"arg{n}" for n, i in enumerate(abi.inputs)]
        args = {n: _jsonable(v) for n, v in zip(names, values, strict=True)}
        say = WORDS.get((kind, abi.name))
        words = None
        if say is not None:
            try:
                words = say(self, target, *[_jsonable(v) for v in values])
            except Exception:  # noqa: BLE001 - a sentence never breaks the listing
                words = None
        if words is None:
            shown = ", ".join(f"{k}={self._value(v)}" for k, v in args.items())
            words = f"call {self.contract_name(target)}.{abi.name}({shown})"
        return Decoded(function, args, words)

    def _value(self, value) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int):
            return f"{value:,}"
        if isinstance(value, list):
            return "[" + ", ".join(self._value(v) for v in value) + "]"
        if isinstance(value, str) and len(value) == 42:
            return self.addr(value)
        return str(value)


# ------------------------------------------------------------------ the sentences
# (contract type, function) -> (describer, target, *decoded arguments) -> words


def _grant(d: Describer, target, role_id, account, execution_delay) -> str:
    role = d.role(role_id)
    held = False
    try:
        since = d.system.manager.getAccess(int(role_id), account)[0]
        held = int(since) != 0
    except Exception:  # noqa: BLE001 - the listing never fails on a read
        pass
    if held:
        return (
            f"set the execution delay of {d.addr(account)} in the {role} role to "
            f"{d.duration(execution_delay)} (it holds the role already)"
        )
    tail = f", with an execution delay of {d.duration(execution_delay)}" if execution_delay else ""
    return f"grant {role} to {d.addr(account)}{tail}"


def _collateral(d: Describer, target, asset, feed, heartbeat, haircut, cap) -> str:
    listed = False
    try:
        listed = bool(d.system.reserve.collateralConfig(asset).listed)
    except Exception:  # noqa: BLE001
        pass
    verb = "reconfigure the collateral" if listed else "list the collateral"
    return (
        f"{verb} {d.token_name(asset)} of {d.contract_name(target)}: feed {d.feed_name(feed)}, "
        f"heartbeat {d.duration(heartbeat)}, haircut {bps(haircut)}, "
        f"concentration cap {bps(cap)}"
    )


def _force(d: Describer, target, answer) -> str:
    feed = d.contract_name(target)
    symbol = d.feed_symbols.get(to_checksum_address(target), "one whole asset")
    decimals = int(d.contracts[to_checksum_address(target)].decimals())
    price = format_amount(int(answer), decimals)
    return f"force the price of {feed} to {price} {d.cash.symbol} per {symbol}"


def _cap(d: Describer, target, cap) -> str:
    if int(cap) == UINT256_MAX:
        return f"remove the deposit cap of {d.contract_name(target)} (uncapped)"
    return f"set the deposit cap of {d.contract_name(target)} to {d.amount(cap, d.cash)}"


def _unpause(flags_type) -> Callable:
    def say(d: Describer, target, flags) -> str:
        known = flags_type.known(int(flags))
        what = known.words if known is not None else f"pause flags {int(flags)}"
        return f"unpause {what} of {d.contract_name(target)}"

    return say


def maturity_tiers(values) -> str:
    """The bond registry's haircut tiers: ``up to 1 year 2.00%, …, beyond 10 years 25.00%``."""
    from sovereign.limits import MATURITY_TIER_LIMITS

    years = [limit // (365 * 86_400) for limit in MATURITY_TIER_LIMITS]
    names = [f"up to {y} year{'s' if y > 1 else ''}" for y in years] + [f"beyond {years[-1]} years"]
    return ", ".join(f"{n} {Fmt.bps(v)}" for n, v in zip(names, values, strict=True))


def _series_name(d: Describer, series) -> str:
    """A bond series by its ISIN, read from chain, with its address."""
    from sovereign import artifacts

    try:
        return f"{artifacts.at('BondSeries', series).isin()} ({to_checksum_address(series)})"
    except Exception:  # noqa: BLE001 - not a series (yet): the address alone
        return d.addr(series)


def _bonds(series, amount) -> str:
    """An amount of a bond series in its own units and symbol, or in raw units."""
    from sovereign import artifacts

    try:
        bond = artifacts.at("BondSeries", series)
        return f"{format_amount(int(amount), int(bond.decimals()))} {bond.isin()}"
    except Exception:  # noqa: BLE001 - not a series (yet)
        return f"{int(amount):,} units"


def _functions(d: Describer, target, selectors) -> str:
    return ", ".join(d.fmt.fn(to_bytes(s)) for s in selectors) or "no function"


def _nested(verb: str) -> Callable:
    """The manager's schedule/execute said with the call they carry (a Safe proposes them)."""

    def say(d: Describer, target, inner_target, data, *when) -> str:
        return f"{verb} on the manager: {d.describe(inner_target, to_bytes(data)).words}"

    return say


WORDS: dict[tuple[str, str], Callable[..., str]] = {
    # ----------------------------------------------------------- operating calls
    # (what a Safe proposal carries: ``ape treasury safe pending``)
    ("Reserve", "mint"): lambda d, t, to, amount, ident: (
        f"mint {d.amount(amount, d.coin)} to {d.addr(to)} (instruction {Fmt.ident(ident)})"
    ),
    ("Reserve", "burn"): lambda d, t, amount, ident: (
        f"burn {d.amount(amount, d.coin)} of the burner's own coins (instruction "
        f"{Fmt.ident(ident)})"
    ),
    ("Reserve", "withdrawCollateral"): lambda d, t, asset, to, amount: (
        f"withdraw {amount:,} units of {d.token_name(asset)} from the reserve to {d.addr(to)}"
    ),
    ("Reserve", "registerParticipant"): lambda d, t, account, ref: (
        f"register {d.addr(account)} as a participant (licence {Fmt.ident(ref)})"
    ),
    ("SovereignStablecoin", "transfer"): lambda d, t, to, value: (
        f"transfer {d.amount(value, d.coin)} to {d.addr(to)}"
    ),
    ("SettlementCash", "mint"): lambda d, t, to, amount: (
        f"issue {d.amount(amount, d.cash)} to {d.addr(to)}"
    ),
    ("SettlementCash", "transfer"): lambda d, t, to, value: (
        f"transfer {d.amount(value, d.cash)} to {d.addr(to)}"
    ),
    ("SovereignAccessManager", "schedule"): _nested("schedule"),
    ("SovereignAccessManager", "execute"): _nested("execute"),
    ("SovereignAccessManager", "acceptAdminTransfer"): lambda d, t: "accept the admin role",
    # ----------------------------------------------------------- Reserve
    ("Reserve", "setMinCollateralRatio"): lambda d, t, v: (
        f"set the minimum collateral ratio of {d.contract_name(t)} to {percent_wad(v)}"
    ),
    ("Reserve", "setRedemptionFee"): lambda d, t, v: (
        f"set the redemption fee of {d.contract_name(t)} to {bps(v)}"
    ),
    ("Reserve", "setMinterAllowance"): lambda d, t, minter, v: (
        f"set the mint allowance of {d.addr(minter)} at {d.contract_name(t)} to "
        f"{d.amount(v, d.coin)}"
    ),
    ("Reserve", "setCollateral"): _collateral,
    ("Reserve", "removeCollateral"): lambda d, t, asset: (
        f"remove {d.token_name(asset)} from the collateral of {d.contract_name(t)}"
    ),
    # ----------------------------------------------------------- feeds
    ("ReportedPriceFeed", "setMaxDeviation"): lambda d, t, v: (
        f"set the deviation bound of {d.contract_name(t)} to {bps(v)}"
    ),
    ("ReportedPriceFeed", "setDeviationWindow"): lambda d, t, v: (
        f"set the deviation window of {d.contract_name(t)} to {d.duration(v)}"
    ),
    ("ReportedPriceFeed", "forceReport"): _force,
    # ----------------------------------------------------------- stablecoin, vault
    ("SovereignStablecoin", "unpause"): _unpause(Pause),
    ("SovereignStablecoin", "setReserve"): lambda d, t, reserve: (
        f"point {d.contract_name(t)} at the reserve {d.addr(reserve)}"
    ),
    ("TBillVault", "setDepositCap"): _cap,
    # ----------------------------------------------------------- bonds
    ("BondRegistry", "setMaturityHaircuts"): lambda d, t, values: (
        f"set the maturity haircuts of {d.contract_name(t)} to {maturity_tiers(values)}"
    ),
    ("BondRegistry", "createSeries"): lambda d, t, terms, code: (
        f"create the bond series {terms[1]} ({terms[0]}) at {d.contract_name(t)}"
    ),
    ("BondRegistry", "openAuction"): lambda d, t, series, price, amount: (
        f"open the auction of {_series_name(d, series)} at a clean price of "
        f"{d.amount(price, d.cash)} per bond, for {_bonds(series, amount)}"
    ),
    ("BondRegistry", "closeAuction"): lambda d, t, series: (
        f"close the auction of {_series_name(d, series)}"
    ),
    ("BondRegistry", "callBond"): lambda d, t, series, index: (
        f"call {_series_name(d, series)} at its call option {index}"
    ),
    ("TBillVault", "unpause"): _unpause(VaultPause),
    # ----------------------------------------------------------- the manager
    ("SovereignAccessManager", "grantRole"): _grant,
    ("SovereignAccessManager", "revokeRole"): lambda d, t, role_id, account: (
        f"revoke {d.role(role_id)} from {d.addr(account)}"
    ),
    ("SovereignAccessManager", "setGrantDelay"): lambda d, t, role_id, v: (
        f"set the grant delay of the {d.role(role_id)} role to {d.duration(v)}"
    ),
    ("SovereignAccessManager", "setTargetAdminDelay"): lambda d, t, target, v: (
        f"set the admin delay of {d.contract_name(target)} to {d.duration(v)}"
    ),
    ("SovereignAccessManager", "setTargetFunctionRole"): lambda d, t, target, sels, role_id: (
        f"give {_functions(d, target, sels)} of {d.contract_name(target)} to the "
        f"{d.role(role_id)} role"
    ),
    ("SovereignAccessManager", "setTargetClosed"): lambda d, t, target, closed: (
        f"close {d.contract_name(target)} (every restricted function refused)"
        if closed
        else f"reopen {d.contract_name(target)}"
    ),
    ("SovereignAccessManager", "setRoleGuardian"): lambda d, t, role_id, guardian: (
        f"make the {d.role(guardian)} role the guardian of the {d.role(role_id)} role"
    ),
    ("SovereignAccessManager", "beginAdminTransfer"): lambda d, t, new_admin, delay: (
        f"propose {d.addr(new_admin)} as the next admin, with an execution delay of "
        f"{d.duration(delay)}"
    ),
    ("SovereignAccessManager", "cancelAdminTransfer"): lambda d, t: (
        "withdraw the pending admin transfer"
    ),
}
