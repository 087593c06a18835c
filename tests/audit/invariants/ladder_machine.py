"""``LadderMachine``: the T-bill vault and its ladder; the reserve's only collateral is
vault shares (the rules and invariants are in tests/audit/test_invariants.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from sovereign.ladder import LadderModel, SeriesState, ceil_div
from sovereign.limits import GRACE_PERIOD, MAX_MARKDOWN_BPS
from sovereign.pauses import VaultPause
from sovereign.units import BPS, WAD
from tests.audit.invariants.driver import Contract, Reverted
from tests.audit.invariants.machine import ChainMachine, pick_id
from tests.utils.constants import CASH, DAY, MAX, OFFSET, ZERO_ID

INVESTORS = ("alice", "bob", "mallory")
INVESTOR_PICKS = ("alice", "bob", "alice", "bob", "mallory")  # mallory: never allowlisted at first


@dataclass
class Bill:
    code: str
    contract: Contract
    maturity: int
    price: int
    remaining: int

    @property
    def grace_end(self) -> int:
        return self.maturity + GRACE_PERIOD


class LadderMachine(ChainMachine):
    """The T-bill vault and its ladder; the reserve's collateral is vault shares only."""

    def __init__(self):
        super().__init__()
        g = copy.deepcopy(self.ctx.ghost)
        self.model: LadderModel = g.pop("model")
        self.bills: list[Bill] = g.pop("bills")
        self.g = SimpleNamespace(**g)
        self._id_counter = 0
        self._last_under = False
        self._last_value = None
        self._last_head = self.now
        self._nav_events: list[str] = []  # what lowered the NAV on purpose since the last check
        self._series_count = len(self.bills)

    # ------------------------------------------------------------------ model

    def addr(self, name: str) -> str:
        return getattr(self.who, name)

    def states(self, s: dict) -> dict[str, SeriesState]:
        return {
            b.contract.address: SeriesState(
                face_value=CASH,
                decimals=6,
                maturity=b.maturity,
                supply=s[f"supply:{b.code}"],
                pool=s[f"pool:{b.code}"],
                defaulted=s[f"defaulted:{b.code}"],
                default_pool=s[f"default_pool:{b.code}"],
                default_supply=s[f"default_supply:{b.code}"],
            )
            for b in self.bills
        }

    def nav_at(self, t: int) -> int:
        """The model's (exit) NAV at time ``t`` with the series as they are now."""
        return self.model.nav(self.states(self.snap()), t)

    def entry_at(self, t: int) -> int:
        """The model's entry NAV (deposits and mints) at time ``t``."""
        return self.model.entry_nav(self.states(self.snap()), t)

    def next_maturity(self, t: int) -> int:
        later = [lot.maturity for lot in self.model.lots if lot.maturity > t]
        return min(later) if later else 0

    def reserve_value(self, nav: int, supply: int) -> int:
        """Reserve.collateralValue(): vault shares priced by VaultNavFeed, haircut."""
        g = self.g
        answer = g.one_share * (nav + 1) // (supply + OFFSET) * g.nav_to_wad
        value = g.shares["reserve"] * answer // 10 ** (g.share_decimals + 18 - 18)
        return value * (BPS - g.share_haircut_bps) // BPS

    def read_calls(self) -> dict:
        c, w = self.c, self.who
        calls = {
            "nav": (c.vault, "totalAssets"),
            "entry": (c.vault, "entryAssets"),
            "shares": (c.vault, "totalSupply"),
            "idle": (c.vault, "idleCash"),
            "vault_paused": (c.vault, "pausedFlags"),
            "coin_supply": (c.coin, "totalSupply"),
            "coin:exchange": (c.coin, "balanceOf", w.exchange),
            "value": (c.reserve, "collateralValue"),
            "cash_supply": (c.cash, "totalSupply"),
            "nav_feed": (c.nav_feed, "latestRoundData"),
        }
        for n in self.g.share_holders:
            calls[f"sh:{n}"] = (c.vault, "balanceOf", getattr(w, n))
        for n in self.g.cash_holders:
            calls[f"cash:{n}"] = (c.cash, "balanceOf", getattr(w, n))
        for n in INVESTORS:
            calls[f"frozen:{n}"] = (c.coin, "frozen", getattr(w, n))
            calls[f"listed:{n}"] = (c.vault, "isAllowlisted", getattr(w, n))
        for b in self.bills:
            calls[f"supply:{b.code}"] = (b.contract, "totalSupply")
            calls[f"pool:{b.code}"] = (b.contract, "pool")
            calls[f"defaulted:{b.code}"] = (b.contract, "defaulted")
            calls[f"default_pool:{b.code}"] = (b.contract, "defaultPool")
            calls[f"default_supply:{b.code}"] = (b.contract, "defaultSupply")
            calls[f"held:{b.code}"] = (b.contract, "balanceOf", c.vault.address)
            calls[f"cash:{b.code}"] = (c.cash, "balanceOf", b.contract.address)
        return calls

    # ------------------------------------------------------------------ rules: debt office

    @precondition(lambda self: self._series_count < 5)
    @rule(days=st.sampled_from([1, 2, 7, 30, 91]), discount_bps=st.sampled_from([20, 150, 600]))
    def create_series(self, days, discount_bps):
        self.begin("create_series")
        t = self.next_ts()
        self._series_count += 1
        code = f"INV-{self._series_count}-{days}D"
        maturity = t + days * DAY
        reg, office = self.c.registry, self.who.debt_office
        self.send(office, reg, "createSeries", code, 6, CASH, t, maturity, what="createSeries")
        series = self.chain.contract(self.chain.call(reg, "seriesByCode", code), "TBillSeries")
        price = CASH * (BPS - discount_bps) // BPS
        offered = 2_000_000 * CASH
        self.send(office, reg, "openAuction", series.address, price, offered, what="openAuction")
        bill = Bill(code, series, maturity, price, offered)
        assert self.chain.call(series, "graceEnd") == bill.grace_end
        # The treasury funds repayment pools through fundRepayment.
        self.send(self.who.treasury, self.c.cash, "approve", series.address, MAX, what="approve")
        self.bills.append(bill)

    @precondition(lambda self: self.bills)
    @rule(
        pick=st.integers(0, 10),
        permille=st.integers(1, 1200),
        limit_below=st.booleans(),
        any_bill=st.sampled_from([False, False, False, True]),
    )
    def buy(self, pick, permille, limit_below, any_bill):
        """The vault manager buys at auction (mostly a bill it may still buy)."""
        self.begin("buy")
        t, idle = self.next_ts(), self.model.idle
        eligible = [] if any_bill else [b for b in self.bills if b.maturity >= t + DAY]
        bills = eligible or self.bills
        bill = bills[pick % len(bills)]
        amount = idle * permille // 1000 * 10**6 // bill.price
        cost = ceil_div(amount * bill.price, 10**6)
        face = amount * CASH // 10**6
        max_price = bill.price - 1 if limit_below and permille % 7 == 0 else bill.price
        if self.model.markdown_bps.get(bill.contract.address):
            markdown = self.model.markdown_bps[bill.contract.address]
            expect = ("VaultSeriesMarkedDown", (bill.contract.address, markdown))
        elif bill.maturity < t + DAY:
            expect = ("VaultMaturityTooClose", (bill.maturity, t))
        elif len(self.model.lots) >= 64:
            expect = ("VaultTooManyLots", (64,))
        elif cost > idle:
            expect = ("VaultInsufficientIdleCash", (cost, idle, self.next_maturity(t)))
        elif cost >= face:
            expect = ("VaultNotADiscount", (cost, face))
        elif bill.price > max_price:
            expect = ("TBillPriceAboveLimit", (bill.price, max_price))
        elif amount > bill.remaining:
            expect = ("TBillAuctionExhausted", (amount, bill.remaining))
        else:
            expect = None
        vault = self.c.vault
        args = (bill.contract.address, amount, max_price)
        out = self.send(self.who.vault_manager, vault, "buy", *args, expect=expect)
        if out.ok:
            state = self.states(self.snap())[bill.contract.address]
            self.model.buy(bill.contract.address, amount, bill.price, state, out.timestamp)
            bill.remaining -= amount

    @precondition(lambda self: self.bills)
    @rule(
        pick=st.integers(0, 10),
        kind=st.sampled_from(["full", "half", "short_by_one", "unit"]),
        via=st.sampled_from(["fund", "fund", "fund", "transfer"]),
    )
    def fund_repayment(self, pick, kind, via):
        """The treasury puts cash in a series' repayment pool (all, half, or almost all it
        owes): through fundRepayment (refused once in default: TBillPoolClosed), or as a
        plain cash transfer to the series (which no contract can refuse). Funding steers
        to a defaulted series half of the time, when there is one."""
        self.begin("fund_repayment")
        s = self.snap()
        defaulted = [b for b in self.bills if s[f"defaulted:{b.code}"]]
        bills = defaulted if defaulted and via == "fund" and pick % 2 == 0 else self.bills
        bill = bills[pick % len(bills)]
        owed = s[f"supply:{bill.code}"] * CASH // 10**6 - s[f"pool:{bill.code}"]
        amount = {"full": owed, "half": owed // 2, "short_by_one": owed - 1, "unit": 1}[kind]
        amount = max(amount, 1)
        bank, series = self.who.central_bank, bill.contract
        if via == "transfer":
            self.send(bank, self.c.cash, "mint", series.address, amount, what="cash to the pool")
            return
        treasury = self.who.treasury
        self.send(bank, self.c.cash, "mint", treasury, amount, what="mint cash")
        expect = ("TBillPoolClosed", ()) if s[f"defaulted:{bill.code}"] else None
        self.send(treasury, series, "fundRepayment", amount, expect=expect, what="fundRepayment")

    @precondition(lambda self: self.bills)
    @rule(pick=st.integers(0, 10), due_only=st.sampled_from([True, True, True, False]))
    def mark_default(self, pick, due_only):
        """Anyone records a default (mostly of a series whose grace period is over)."""
        self.begin("mark_default")
        s, t = self.snap(), self.next_ts()
        due = [b for b in self.bills if b.grace_end <= t] if due_only else []
        bills = due or self.bills
        bill = bills[pick % len(bills)]
        owed = ceil_div(s[f"supply:{bill.code}"] * CASH, 10**6)
        pool = s[f"pool:{bill.code}"]
        if t < bill.grace_end:
            expect = ("TBillInGracePeriod", (t, bill.grace_end))
        elif s[f"defaulted:{bill.code}"]:
            expect = ("TBillAlreadyDefaulted", ())
        elif pool >= owed:
            expect = ("TBillFullyFunded", (owed, pool))
        else:
            expect = None
        out = self.send(self.who.mallory, bill.contract, "markDefault", expect=expect)
        self.stats.extra["defaults"] += out.ok

    @precondition(lambda self: self.bills)
    @rule(pick=st.integers(0, 10), bps=st.sampled_from([0, 100, 2_000, 5_000, 5_001]))
    def markdown(self, pick, bps):
        self.begin("markdown")
        bill = self.bills[pick % len(self.bills)]
        if bps > MAX_MARKDOWN_BPS:
            expect = ("VaultMarkdownOutOfBounds", (bps, MAX_MARKDOWN_BPS))
        else:
            expect = None
        vault = self.c.vault
        out = self.send(
            self.who.reporter, vault, "setMarkdown", bill.contract.address, bps, expect=expect
        )
        if out.ok:
            self.model.markdown_bps[bill.contract.address] = bps
            self._nav_events.append("markdown")

    @precondition(lambda self: self.bills)
    @rule(
        kind=st.sampled_from(
            [
                "hour",
                "day",
                "week",
                "month",
                "at_maturity",
                "before_maturity",
                "at_grace_end",
                "before_grace_end",
            ]
        )
    )
    def time_travel(self, kind):
        """Move the clock; the maturity kinds put the next transaction exactly at the next
        bill's maturity, or one second before it; the grace kinds likewise at the next end
        of a grace period (maturity + 3 days)."""
        self.begin("time_travel")
        self._travel(kind)

    @precondition(lambda self: any(b.maturity > self.next_ts() + 1 for b in self.bills))
    @rule()
    def to_next_maturity(self):
        """The next transaction lands exactly on the next maturity (hypothesis favours rules
        without arguments)."""
        self.begin("to_next_maturity")
        self._travel("at_maturity")

    @precondition(lambda self: any(b.grace_end > self.next_ts() + 1 for b in self.bills))
    @rule()
    def to_next_grace_end(self):
        """The next transaction lands exactly at the end of the next grace period."""
        self.begin("to_next_grace_end")
        self._travel("at_grace_end")

    def _travel(self, kind: str) -> None:
        head = self.snap()["head"][1]
        upcoming = sorted(b.maturity for b in self.bills if b.maturity > head + 2)
        nxt = upcoming[0] if upcoming else head + DAY
        ends = sorted(b.grace_end for b in self.bills if b.grace_end > head + 2)
        grace = ends[0] if ends else head + DAY
        target = {
            "hour": head + 3_600,
            "day": head + DAY,
            "week": head + 7 * DAY,
            "month": head + 30 * DAY,
            "at_maturity": nxt - 1,
            "before_maturity": nxt - 2,
            "at_grace_end": grace - 1,
            "before_grace_end": grace - 2,
        }[kind]
        self.travel_to(max(target, head + 1))

    def _matured_at(self, t: int) -> list[tuple[str, int, int]]:
        """The vault's matured lots (series, amount, purchasedAt) as a transaction at ``t``
        sees them after its own sync: those already moved, then the model's lots that
        matured since, in maturity order (the vault keeps accruing lots sorted, stable)."""
        stored = [(lot[0], lot[4], lot[2]) for lot in self.chain.call(self.c.vault, "maturedLots")]
        known = {(series.lower(), amount, at) for series, amount, at in stored}
        pending = sorted(
            (
                lot
                for lot in self.model.lots
                if lot.maturity <= t
                and (lot.series.lower(), lot.amount, lot.purchased_at) not in known
            ),
            key=lambda lot: lot.maturity,
        )
        return stored + [(lot.series, lot.amount, lot.purchased_at) for lot in pending]

    def _any_matured(self) -> bool:
        t = self.next_ts()
        return any(lot.maturity <= t for lot in self.model.lots)

    @precondition(lambda self: self._any_matured() or self._moves % 4 == 0)
    @rule(pick=st.integers(0, 10), sync_first=st.booleans())
    def redeem_matured(self, pick, sync_first):
        """The manager redeems a matured lot at its series (after a public sync, or not)."""
        self.begin("redeem_matured")
        vault, manager = self.c.vault, self.who.vault_manager
        if sync_first:
            self.send(manager, vault, "sync", what="sync")
        t = self.next_ts()
        lots = self._matured_at(t)
        if not lots:
            self.send(manager, vault, "redeemMatured", 0, expect=("VaultNoMaturedLot", (0,)))
            return
        index = pick % len(lots)
        series, amount, purchased_at = lots[index]
        bill = next(b for b in self.bills if b.contract.address.lower() == series.lower())
        s = self.snap()
        pool, supply = s[f"pool:{bill.code}"], s[f"supply:{bill.code}"]
        defaulted = s[f"defaulted:{bill.code}"]
        owed = ceil_div(supply * CASH, 10**6)
        face = amount * CASH // 10**6
        # TBillSeries.redeem: a short pool pays nobody during the grace period; at or after
        # graceEnd the redemption records the default; then (and once defaulted) it pays
        # the recovery rate fixed at the default (pool/supply then), and a zero payout reverts.
        records_default = not defaulted and pool < owed and t >= bill.grace_end
        if not defaulted and pool < owed and t < bill.grace_end:
            expect = ("TBillRepaymentShort", (owed, pool, bill.grace_end))
            payout = 0
        elif defaulted:
            rate_pool, rate_supply = (
                s[f"default_pool:{bill.code}"],
                s[f"default_supply:{bill.code}"],
            )
            payout = amount * rate_pool // rate_supply
        elif pool < owed:  # this redemption records the default at the current pool
            payout = amount * pool // supply
        else:
            payout = face
        if not (not defaulted and pool < owed and t < bill.grace_end):
            expect = ("TBillNothingToPay", (amount,)) if payout == 0 else None
        out = self.send(manager, vault, "redeemMatured", index, expect=expect)
        if out.ok:
            assert self.snap()[f"defaulted:{bill.code}"] == (defaulted or records_default)
            self.stats.extra["defaults recorded by a redemption"] += records_default
            lot = next(
                lot
                for lot in self.model.lots
                if lot.series.lower() == series.lower()
                and lot.amount == amount
                and lot.purchased_at == purchased_at
            )
            # LadderModel.redeem drops every lot of the series; the vault may hold several.
            self.model.lots.remove(lot)
            self.model.idle += payout
            self.stats.extra["bills redeemed"] += 1
            self.stats.extra["bills redeemed after default"] += s[f"defaulted:{bill.code}"]

    # ------------------------------------------------------------------ rules: investors

    def _deposit_expect(self, who: str, assets: int) -> tuple | None:
        g, s = self.g, self.snap()
        addr = self.addr(who)
        if g.vault_paused & VaultPause.DEPOSIT:
            return ("VaultPaused", (VaultPause.DEPOSIT,))
        if not g.listed[who]:
            return ("VaultNotAllowlisted", (addr,))
        if who in g.frozen:
            return ("VaultAccountFrozen", (addr,))
        if g.cash_allowance[who] < assets:
            return ("ERC20InsufficientAllowance", (self.who.vault, g.cash_allowance[who], assets))
        if s[f"cash:{who}"] < assets:
            return ("ERC20InsufficientBalance", (addr, s[f"cash:{who}"], assets))
        return None

    def _withdraw_expect(self, who: str) -> tuple | None:
        if self.g.vault_paused & VaultPause.WITHDRAW:
            return ("VaultPaused", (VaultPause.WITHDRAW,))
        if who in self.g.frozen:
            return ("VaultAccountFrozen", (self.addr(who),))
        return None

    def _check_fair(
        self, who: str, nav: int, entry: int, supply: int, d_assets: int, d_shares: int
    ):
        """At one timestamp, with the exit NAV ``nav`` and the entry NAV ``entry``: neither a
        deposit nor a withdrawal lowers the other holders' exit share value. A withdrawal
        (at the exit NAV) never hands them a unit or more and never pays the actor more
        than its shares are worth. A deposit (at the entry NAV) raises their value by the
        entry-exit gap the depositor pays (nothing when entry == exit), and its rounding
        hands them less than a unit more than that; the shares received are worth at most
        what was paid, at the entry price and at the exit price after it."""
        virtual = supply + OFFSET
        before = Fraction(nav + 1, virtual)
        after = Fraction(nav + d_assets + 1, virtual + d_shares)
        others = supply - self.g.shares[who]
        assert after >= before, f"{self._rule}: other holders' share value fell"
        if d_shares > 0:
            price = Fraction(entry + 1, virtual)
            # The exit share value after a deposit priced at the entry NAV without rounding.
            ideal = Fraction(nav + d_assets + 1) / (virtual + Fraction(d_assets) / price)
            assert ideal >= before and (ideal == before) == (entry == nav)
            assert others * (after - ideal) < 1, f"{self._rule}: rounding gave others >= 1 unit"
            assert d_shares * price <= d_assets, f"{self._rule}: shares worth more than paid"
            assert d_shares * after <= d_assets, f"{self._rule}: new shares worth more than paid"
            if entry > nav:
                self.stats.extra["deposits paying the entry-exit gap"] += 1
        else:
            assert others * (after - before) < 1, f"{self._rule}: other holders gained >= 1 unit"
            assert -d_assets <= -d_shares * before, f"{self._rule}: paid more than shares' value"
        self.stats.extra["fairness checks"] += 1

    @rule(who=st.sampled_from(INVESTOR_PICKS), permille=st.integers(1, 1100), as_mint=st.booleans())
    def deposit(self, who, permille, as_mint):
        """A deposit or mint, priced at the entry NAV (entryAssets())."""
        self.begin("deposit")
        g, s, t = self.g, self.snap(), self.next_ts()
        nav, entry, supply = self.nav_at(t), self.entry_at(t), g.share_supply
        budget = max(1, s[f"cash:{who}"] * permille // 1000)
        if as_mint:
            shares = budget * (supply + OFFSET) // (entry + 1)
            assets = ceil_div(shares * (entry + 1), supply + OFFSET)
            call = ("mint", shares)
        else:
            assets = budget
            shares = assets * (supply + OFFSET) // (entry + 1)
            call = ("deposit", assets)
        expect = self._deposit_expect(who, assets)
        addr = self.addr(who)
        out = self.send(addr, self.c.vault, call[0], call[1], addr, expect=expect)
        if out.ok:
            self._check_fair(who, nav, entry, supply, assets, shares)
            g.shares[who] += shares
            g.share_supply += shares
            self.model.deposit(assets)

    @rule(
        who=st.sampled_from(INVESTOR_PICKS), permille=st.integers(1, 1100), by_shares=st.booleans()
    )
    def withdraw(self, who, permille, by_shares):
        self.begin("withdraw")
        g, t = self.g, self.next_ts()
        nav, supply = self.nav_at(t), g.share_supply
        addr = self.addr(who)
        held = g.shares[who]
        idle = self.model.idle
        expect = self._withdraw_expect(who)
        if by_shares:
            shares = max(1, held * permille // 1000)
            assets = shares * (nav + 1) // (supply + OFFSET)
            if expect is None and shares > held:
                expect = ("ERC4626ExceededMaxRedeem", (addr, shares, held))
            call = ("redeem", shares)
        else:
            max_assets = held * (nav + 1) // (supply + OFFSET)
            assets = max(1, max_assets * permille // 1000)
            shares = ceil_div(assets * (supply + OFFSET), nav + 1)
            if expect is None and assets > max_assets:
                expect = ("ERC4626ExceededMaxWithdraw", (addr, assets, max_assets))
            call = ("withdraw", assets)
        if expect is None and assets > idle:
            expect = ("VaultInsufficientIdleCash", (assets, idle, self.next_maturity(t)))
        out = self.send(addr, self.c.vault, call[0], call[1], addr, addr, expect=expect)
        if out.ok:
            self._check_fair(who, nav, nav, supply, -assets, -shares)
            g.shares[who] -= shares
            g.share_supply -= shares
            self.model.withdraw(assets)

    def _round_trip_candidate(self) -> str | None:
        if self.g.vault_paused:
            return None
        s = self.snap()
        for n in ("alice", "bob"):
            if n not in self.g.frozen and self.g.listed[n] and s[f"cash:{n}"] >= CASH:
                return n
        return None

    @precondition(lambda self: self._round_trip_candidate() is not None)
    @rule(permille=st.integers(1, 1000))
    def round_trip(self, permille):
        """Deposit (at the entry NAV) then redeem the shares received (at the exit NAV), in
        one block: never a gain."""
        self.begin("round_trip")
        g, s = self.g, self.snap()
        who = self._round_trip_candidate()
        addr, t = self.addr(who), self.next_ts()
        assets = max(1, s[f"cash:{who}"] * permille // 1000)
        nav, entry, supply = self.nav_at(t), self.entry_at(t), g.share_supply
        shares = assets * (supply + OFFSET) // (entry + 1)
        back = shares * (nav + assets + 1) // (supply + shares + OFFSET)
        self.chain.rpc("evm_setAutomine", False)
        try:
            h1 = self.chain.send_unchecked(addr, self.c.vault, "deposit", assets, addr)
            h2 = self.chain.send_unchecked(addr, self.c.vault, "redeem", shares, addr, addr)
            self.chain.rpc("evm_mine")
        finally:
            self.chain.rpc("evm_setAutomine", True)
        self.invalidate()
        r1, r2 = self.chain.receipt(h1), self.chain.receipt(h2)
        assert r1["blockNumber"] == r2["blockNumber"], "round trip not in one block"
        assert (r1["status"], r2["status"]) == ("0x1", "0x1"), "round trip reverted"
        after = self.snap()[f"cash:{who}"]
        assert after == s[f"cash:{who}"] - assets + back, "round trip paid other than predicted"
        assert back <= assets, f"deposit->redeem round trip gained: {assets} in, {back} out"
        self._check_fair(who, nav, entry, supply, assets, shares)
        self.stats.rules["round_trip"]["ok"] += 1
        self.stats.extra["round trip units lost"] += assets - back
        self.model.deposit(assets)
        self.model.withdraw(back)

    # ------------------------------------------------------------------ rules: compliance, pauses

    @rule(who=st.sampled_from(("alice", "bob")))
    def toggle_freeze(self, who):
        self.begin("toggle_freeze")
        g, addr = self.g, self.addr(who)
        method = "unfreeze" if who in g.frozen else "freeze"
        self.send(self.who.compliance, self.c.coin, method, addr, ZERO_ID, what=method)
        if method == "freeze":
            g.frozen.add(who)
            g.frozen_shares[who] = g.shares[who]
        else:
            g.frozen.discard(who)
            g.frozen_shares.pop(who)

    @rule(who=st.sampled_from(INVESTORS), allowed=st.sampled_from([True, True, False]))
    def set_allowlisted(self, who, allowed):
        self.begin("set_allowlisted")
        addr = self.addr(who)
        self.send(self.who.compliance, self.c.vault, "setAllowlisted", addr, allowed, ZERO_ID)
        self.g.listed[who] = allowed

    @precondition(lambda self: self.g.vault_paused == 0)
    @rule(flag=st.sampled_from([VaultPause.DEPOSIT, VaultPause.WITHDRAW]))
    def vault_pause(self, flag):
        self.begin("vault_pause")
        self.send(self.who.guardian, self.c.vault, "pause", flag)
        self.g.vault_paused |= flag

    @precondition(lambda self: self.g.vault_paused)
    @rule(flag=st.sampled_from([VaultPause.DEPOSIT, VaultPause.WITHDRAW]))
    def vault_unpause(self, flag):
        self.begin("vault_unpause")
        self.governed(self.c.vault, "unpause", flag)
        self.g.vault_paused &= ~flag

    # ------------------------------------------------------------------ rules: issuance

    @rule(
        kind=st.sampled_from(["fraction", "exact", "over_by_one"]),
        permille=st.integers(1, 1000),
        replay=st.sampled_from([False] * 4 + [True]),
    )
    def mint_coin(self, kind, permille, replay):
        """Mint stablecoin against the reserve's vault shares (valued from the NAV)."""
        self.begin("mint_coin")
        g, t = self.g, self.next_ts()
        value = self.reserve_value(self.nav_at(t), g.share_supply)
        room = value * WAD // g.min_ratio - g.coin_supply
        amount = {
            "fraction": max(1, room * permille // 1000),
            "exact": room,
            "over_by_one": room + 1,
        }[kind]
        amount = amount if amount > 0 else 1_000 * WAD
        iid = pick_id(self, "replay" if replay else "new", g.used_ids, "LMINT")
        after = g.coin_supply + amount
        if iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif after > value * WAD // g.min_ratio:
            expect = (
                "ReserveCollateralRatioTooLow",
                (value * WAD // after, g.min_ratio, value, after),
            )
        else:
            expect = None
        reserve = self.c.reserve
        out = self.send(
            self.who.minter, reserve, "mint", self.who.exchange, amount, iid, expect=expect
        )
        if out.ok:
            g.used_ids.add(iid)
            g.coin_supply += amount
            g.coin_exchange += amount
            r = self.chain.read(
                {"value": (reserve, "collateralValue"), "supply": (self.c.coin, "totalSupply")}
            )
            assert r["supply"] * g.min_ratio <= r["value"] * WAD, f"mint broke the ratio: {r}"

    # ------------------------------------------------------------------ invariants

    def check_ghost_balances(self, s: dict, after_revert: bool = False) -> None:
        g = self.g
        prefix = "a reverted call moved funds: " if after_revert else ""
        for n in g.share_holders:
            assert s[f"sh:{n}"] == g.shares[n], f"{prefix}{n} holds {s[f'sh:{n}']} != {g.shares[n]}"
        assert s["shares"] == g.share_supply, f"{prefix}share supply differs from the ghost"
        assert s["idle"] == self.model.idle, f"{prefix}idle cash {s['idle']} != {self.model.idle}"
        assert s["coin_supply"] == g.coin_supply, f"{prefix}coin supply differs from the ghost"
        assert s["coin:exchange"] == g.coin_exchange

    @invariant()
    def nav_matches_model(self):
        s = self.snap()
        self.stats.invariant_checks += 1
        expected = self.model.nav(self.states(s), s["head"][1])
        assert s["nav"] == expected, f"vault NAV {s['nav']} != model {expected}"

    @invariant()
    def entry_nav_matches_model(self):
        s = self.snap()
        expected = self.model.entry_nav(self.states(s), s["head"][1])
        assert s["entry"] == expected, f"vault entry NAV {s['entry']} != model {expected}"
        assert s["entry"] >= s["nav"], f"entry NAV {s['entry']} below exit NAV {s['nav']}"
        self.stats.extra["checks with entry NAV above exit NAV"] += s["entry"] > s["nav"]

    @invariant()
    def balances_sum_to_total_supply(self):
        s = self.snap()
        shares = sum(s[f"sh:{n}"] for n in self.g.share_holders)
        assert shares == s["shares"], f"shares held {shares} != totalSupply {s['shares']}"
        cash = sum(s[f"cash:{n}"] for n in self.g.cash_holders)
        cash += sum(s[f"cash:{b.code}"] for b in self.bills)
        assert cash == s["cash_supply"], f"cash held {cash} != cash supply {s['cash_supply']}"
        for b in self.bills:
            held = sum(lot.amount for lot in self.model.lots if lot.series == b.contract.address)
            assert s[f"held:{b.code}"] == s[f"supply:{b.code}"], f"{b.code}: vault != supply"
            assert s[f"held:{b.code}"] == held, f"{b.code}: vault holds other than its lots"

    @invariant()
    def chain_matches_ghost(self):
        s = self.snap()
        self.check_ghost_balances(s)
        g = self.g
        assert s["vault_paused"] == g.vault_paused
        for n in INVESTORS:
            assert s[f"frozen:{n}"] == (n in g.frozen)
            assert s[f"listed:{n}"] == g.listed[n]

    @invariant()
    def frozen_investors_shares_unchanged(self):
        s = self.snap()
        for n, expected in self.g.frozen_shares.items():
            assert s[f"sh:{n}"] == expected, f"frozen {n}: vault shares moved"

    @invariant()
    def supply_backed_unless_nav_moved(self):
        s, g = self.snap(), self.g
        value = s["value"]
        assert not isinstance(value, Reverted), f"collateralValue() reverted: {value}"
        expected = self.reserve_value(s["nav"], s["shares"])
        assert value == expected, f"collateralValue() {value} != model {expected}"
        _, answer, _, updated_at, _ = s["nav_feed"]
        assert updated_at == s["head"][1]
        assert answer == g.one_share * (s["nav"] + 1) // (s["shares"] + OFFSET) * g.nav_to_wad
        head = s["head"][1]
        cause = None
        if self._last_value is not None and value < self._last_value:
            # Accrual only raises the NAV, deposits (at the entry NAV) and withdrawals never
            # lower a share's exit value (checked in their rules); a default, recorded by
            # markDefault or a redemption, and the end of a grace period mark down nothing
            # (the exit NAV values a short pool pro rata from maturity on, capped at face):
            # only a markdown being set or a maturity passing with the repayment pool short
            # lowers it.
            short = [
                b.code
                for b in self.bills
                if self._last_head < b.maturity <= head
                and s[f"pool:{b.code}"] < s[f"supply:{b.code}"] * CASH // 10**6
            ]
            if self._nav_events:
                cause = self._nav_events[0]
            elif short:
                cause = "maturity with a short pool"
            else:
                raise AssertionError(
                    f"reserve collateral value fell in {self._rule} without a markdown or a "
                    f"maturity: {self._last_value} -> {value}"
                )
            self.stats.value_falls[cause] += 1
        self._last_value, self._last_head, self._nav_events = value, head, []
        self.note_backing(value, s["coin_supply"], g.min_ratio, cause)
