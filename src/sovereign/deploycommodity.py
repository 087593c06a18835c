"""Commodity reserves in a deployment: phase 4's last part, and its steps in phases 6 and 7.

Deployed only when the configuration names commodities:
- the attestation registry (ReserveAttestations), the program ceilings (ProgramCeilings)
  and the FX fixing: a ReportedPriceFeed answering the peg currency per unit of the
  quote currency (US dollars), reported by the oracle reporter (in production the
  central bank's fixing desk: no public feed exists for the peg currency);
- per commodity: its price in the quote currency (a ReportedPriceFeed: gold in USD per
  troy ounce), the FxConvertedFeed of that price and the fixing, the CommodityToken,
  and its AttestedValueFeed, which the reserve lists with the commodity's haircut.

Phase 6 forces the stubs' first answers, sets each class's ceiling and each token's
attesters; phase 7 maps the functions (``roles.FUNCTION_ROLES``) and grants each token
the program-issuer role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from sovereign.units import BPS, WAD, text_to_bytes32, wad

if TYPE_CHECKING:
    from sovereign.deploy import CollateralSpec, System
    from sovereign.deployphases import Deployment

DAY, HOUR = 86_400, 3_600


@dataclass(frozen=True)
class FxSpec:
    """The FX fixing and how commodity prices are converted through it."""

    quote: str = "USD"
    initial_rate: Decimal | None = None  # peg currency per unit of the quote currency
    decimals: int = 8
    heartbeat: int = 26 * HOUR  # a daily fixing, with two hours' slack
    # Friday 21:00 UTC to Sunday 23:00 UTC; over a weekend the Friday fixing serves
    # until Monday's, and the value is cut by the closed-market haircut.
    closed_from: int = 4 * DAY + 21 * HOUR
    closed_for: int = 50 * HOUR
    closed_heartbeat: int = 4 * DAY
    closed_haircut_bps: int = 500
    lag: int = DAY  # a rise of the rate counts once it has lasted this long
    # The plausible range of the rate: on one side of 1 and within a factor of 10, so
    # that an inverted answer or a decimals error falls outside (FxConvertedFeed). By
    # default half to twice the initial rate.
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None

    def bounds(self) -> tuple[Decimal, Decimal]:
        if self.min_rate is not None and self.max_rate is not None:
            return self.min_rate, self.max_rate
        if self.initial_rate is None:
            raise ValueError("the FX rate's bounds need min_rate and max_rate, or initial_rate")
        return self.initial_rate / 2, self.initial_rate * 2


@dataclass(frozen=True)
class CommoditySpec:
    """One commodity token and its valuation."""

    symbol: str  # the token's, e.g. SGLD
    name: str
    unit: str  # what one whole token is, e.g. "troy ounce of fine gold"
    decimals: int  # the precision of the custodian's lot list (0.001 oz: 3)
    asset_class: str  # the program ceiling's class, e.g. METALS
    quote_symbol: str  # the price feed's base, e.g. XAU for "XAU / USD"
    initial_price: Decimal | None = None  # in the quote currency per whole unit
    price_decimals: int = 8
    heartbeat: int = DAY
    # Commodities are haircut wider than bills (1%) and bonds: a forced sale of
    # metal or crude at a discount, plus the FX leg.
    haircut_bps: int = 1_500
    concentration_cap_bps: int = BPS
    ceiling: Decimal = Decimal(0)  # [peg currency] the class's program ceiling
    attesters: tuple[str, ...] = ()
    threshold: int = 0
    # (custodian name in the lot lists, the account that speaks for it)
    custodians: tuple[tuple[str, str], ...] = ()


@dataclass
class Commodity:
    spec: CommoditySpec | None  # None when loaded from a manifest
    token: object
    quote_feed: object  # ReportedPriceFeed, quote currency
    price_feed: object  # FxConvertedFeed, peg currency
    value_feed: object  # AttestedValueFeed, what the reserve reads


@dataclass
class CommodityBook:
    """A deployment's commodity contracts."""

    attestations: object
    ceilings: object
    fx_feed: object
    fx: FxSpec
    commodities: dict[str, Commodity] = field(default_factory=dict)

    def contracts(self) -> dict[str, object]:
        named = {
            "ReserveAttestations": self.attestations,
            f"fx-feed:{self.fx.quote}": self.fx_feed,
        }
        for symbol, c in self.commodities.items():
            named[f"commodity:{symbol}"] = c.token
            named[f"quote-feed:{symbol}"] = c.quote_feed
            named[f"price-feed:{symbol}"] = c.price_feed
            named[f"value-feed:{symbol}"] = c.value_feed
        return named


def deploy_commodities(
    run: Deployment, system: System, fx: FxSpec, specs: list[CommoditySpec]
) -> CommodityBook:
    """Phase 4, last part: the registry, the ceilings, the fixing, and each commodity."""
    manager, config = system.manager.address, system.config
    attestations = run.deploy("ReserveAttestations", manager)
    ceilings = system.ceilings  # the program's, shared with the debt registries
    peg = config.cash_symbol
    fx_feed = run.deploy(
        "ReportedPriceFeed", manager, fx.decimals, f"{peg} / {fx.quote}",
        config.feed_max_deviation_bps, config.feed_deviation_window,
        label=f"deploy ReportedPriceFeed {peg} / {fx.quote}",
    )  # fmt: skip
    book = CommodityBook(attestations, ceilings, fx_feed, fx)
    for spec in specs:
        quote = run.deploy(
            "ReportedPriceFeed", manager, spec.price_decimals,
            f"{spec.quote_symbol} / {fx.quote}", config.feed_max_deviation_bps,
            config.feed_deviation_window,
            label=f"deploy ReportedPriceFeed {spec.quote_symbol} / {fx.quote}",
        )  # fmt: skip
        price = run.deploy(
            "FxConvertedFeed", quote.address, fx_feed.address, fx.heartbeat,
            fx.closed_heartbeat, fx.lag, fx.closed_from, fx.closed_for,
            fx.closed_haircut_bps, *(wad(b) for b in fx.bounds()),
            f"{spec.quote_symbol} / {peg}",
            label=f"deploy FxConvertedFeed {spec.symbol}",
        )  # fmt: skip
        token = run.deploy(
            "CommodityToken", spec.name, spec.symbol, spec.unit, spec.decimals,
            text_to_bytes32(spec.asset_class), manager, attestations.address,
            ceilings.address, price.address, spec.heartbeat,
            label=f"deploy CommodityToken {spec.symbol}",
        )  # fmt: skip
        value = run.deploy(
            "AttestedValueFeed", token.address, label=f"deploy AttestedValueFeed {spec.symbol}"
        )
        book.commodities[spec.symbol] = Commodity(spec, token, quote, price, value)
    return book


def collateral_specs(book: CommodityBook) -> list[CollateralSpec]:
    """The reserve's listing of each commodity token at its AttestedValueFeed."""
    from sovereign.deploy import CollateralSpec

    return [
        CollateralSpec(
            symbol,
            c.token,
            feed=c.value_feed,
            feed_decimals=18,
            heartbeat=c.spec.heartbeat,
            haircut_bps=c.spec.haircut_bps,
            concentration_cap_bps=c.spec.concentration_cap_bps,
        )  # fmt: skip
        for symbol, c in book.commodities.items()
    ]


def set_commodity_parameters(run: Deployment, book: CommodityBook) -> None:
    """Phase 6, commodity part: first answers, ceilings and attesters, by the deployer as
    admin while nothing is mapped."""
    deployer, fx = run.deployer, book.fx
    if fx.initial_rate is not None:
        rate = int(fx.initial_rate.scaleb(fx.decimals))
        run.send(f"forceReport {fx.quote}", lambda: book.fx_feed.forceReport(rate, sender=deployer))
    ceilings: dict[str, Decimal] = {}
    for symbol, c in book.commodities.items():
        spec = c.spec
        if spec.initial_price is not None:
            answer = int(spec.initial_price.scaleb(spec.price_decimals))
            run.send(
                f"forceReport {spec.quote_symbol}",
                lambda f=c.quote_feed, a=answer: f.forceReport(a, sender=deployer),
            )
        if spec.attesters:
            run.send(
                f"setAttesters {symbol}",
                lambda t=c.token, s=spec: book.attestations.setAttesters(
                    t.address, list(s.attesters), s.threshold, sender=deployer
                ),
            )
        for name, account in spec.custodians:
            run.send(
                f"setCustodianAccount {symbol} {name}",
                lambda t=c.token, n=name, a=account: t.setCustodianAccount(
                    text_to_bytes32(n), a, sender=deployer
                ),
            )
        ceilings[spec.asset_class] = max(ceilings.get(spec.asset_class, Decimal(0)), spec.ceiling)
    for asset_class, ceiling in ceilings.items():
        run.send(
            f"setCeiling {asset_class}",
            lambda k=asset_class, v=ceiling: book.ceilings.setCeiling(
                text_to_bytes32(k), int(v * WAD), sender=deployer
            ),
        )


def commodity_wiring(manager, book: CommodityBook, wire_functions) -> list[tuple]:
    """Phase 7, commodity part: functions to roles, and each token's issuer grant."""
    from sovereign.roles import Role

    calls = wire_functions(manager, book.attestations, "ReserveAttestations")
    calls += wire_functions(manager, book.fx_feed, "ReportedPriceFeed")
    for symbol, c in book.commodities.items():
        calls += wire_functions(manager, c.token, "CommodityToken")
        calls += wire_functions(manager, c.quote_feed, "ReportedPriceFeed")
        calls.append(
            (
                f"grantRole {Role.PROGRAM_ISSUER.label} {symbol}",
                manager,
                "grantRole",
                (int(Role.PROGRAM_ISSUER), c.token.address, 0),
            )
        )
    return calls
