"""An independent model of the T-bill vault's NAV.

It keeps its own record of what the vault bought (amount, cash paid, when) and
reads only public series state (maturity, face, pool, supply, default flag), then
computes the NAV with the documented rounding. Tests compare it with the vault's
``totalAssets()`` to the unit; anyone can run it against a deployed vault.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BPS = 10_000


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass
class SeriesState:
    """Public state of one series at the valuation time."""

    face_value: int  # cash per whole token
    decimals: int
    maturity: int
    supply: int
    pool: int
    defaulted: bool
    # The pool and supply when the default was recorded: the recovery rate (0 before).
    default_pool: int = 0
    default_supply: int = 0

    @property
    def fully_funded(self) -> bool:
        return self.pool >= ceil_div(self.supply * self.face_value, 10**self.decimals)

    @classmethod
    def read(cls, series) -> SeriesState:
        return cls(
            face_value=int(series.faceValue()),
            decimals=int(series.decimals()),
            maturity=int(series.maturity()),
            supply=int(series.totalSupply()),
            pool=int(series.pool()),
            defaulted=bool(series.defaulted()),
            default_pool=int(series.defaultPool()),
            default_supply=int(series.defaultSupply()),
        )


@dataclass
class LotModel:
    series: str
    amount: int
    cost: int
    face: int
    purchased_at: int
    maturity: int

    def rate(self, scale: int) -> int:
        return (self.face - self.cost) * scale // (self.maturity - self.purchased_at)


@dataclass
class LadderModel:
    """``scale`` is the vault's S = 10**(18 - cash decimals)."""

    scale: int
    idle: int = 0
    lots: list[LotModel] = field(default_factory=list)
    markdown_bps: dict[str, int] = field(default_factory=dict)

    # ---------------------------------------------------------------- events

    def deposit(self, assets: int) -> None:
        self.idle += assets

    def withdraw(self, assets: int) -> None:
        assert assets <= self.idle, "model: withdrawal beyond idle cash"
        self.idle -= assets

    def buy(self, series: str, amount: int, price: int, state: SeriesState, now: int) -> LotModel:
        scale = 10**state.decimals
        cost = ceil_div(amount * price, scale)
        lot = LotModel(
            series, amount, cost, amount * state.face_value // scale, now, state.maturity
        )
        self.idle -= cost
        self.lots.append(lot)
        return lot

    def redeem(self, series: str, payout: int) -> None:
        self.lots = [lot for lot in self.lots if lot.series != series]
        self.idle += payout

    # ---------------------------------------------------------------- valuation

    def lot_value(self, lot: LotModel, state: SeriesState, now: int) -> int:
        """The lot's value in the (exit) NAV: what its series pays every holder now."""
        if now >= lot.maturity:
            if state.defaulted:  # the recovery rate fixed at the default
                return lot.amount * state.default_pool // state.default_supply
            if state.fully_funded:
                return lot.face
            return lot.amount * state.pool // state.supply  # short: what a default would pay
        return self._contribution(lot, now) // self.scale

    def nav(self, states: dict[str, SeriesState], now: int) -> int:
        """The exit NAV (``totalAssets()``): markdowns applied, matured lots as paid."""
        return self._nav(states, now, entry=False)

    def entry_nav(self, states: dict[str, SeriesState], now: int) -> int:
        """The entry NAV (``entryAssets()``) deposits pay: no markdowns, and matured
        lots at face until their series is in default."""
        return self._nav(states, now, entry=True)

    def _nav(self, states: dict[str, SeriesState], now: int, entry: bool) -> int:
        accruing = 0
        matured = 0
        for lot in self.lots:
            state = states[lot.series]
            if now < lot.maturity:
                accruing += self._contribution(lot, now, marked=not entry)
            elif entry and not state.defaulted:
                matured += lot.face
            else:
                matured += self.lot_value(lot, state, now)
        return self.idle + accruing // self.scale + matured

    def _contribution(self, lot: LotModel, now: int, marked: bool = True) -> int:
        keep = BPS - (self.markdown_bps.get(lot.series, 0) if marked else 0)
        cost = lot.cost * keep // BPS
        rate = lot.rate(self.scale) * keep // BPS
        return cost * self.scale + rate * (now - lot.purchased_at)
