"""``CoreMachine``: the stablecoin and the reserve, the bond its only collateral held,
priced by the oracle stub (the rules and invariants are in tests/audit/test_invariants.py).
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from sovereign.ladder import ceil_div
from sovereign.pauses import Pause
from sovereign.permit import sign_permit
from sovereign.units import BPS, WAD, text_to_bytes32
from tests.audit.invariants.driver import Outcome, Reverted
from tests.audit.invariants.machine import ChainMachine, pick_id, water_fill
from tests.utils.constants import DAY, INT192_MAX, MAX, MAX_ANSWER, ZERO_ID

CORE_ACTORS = ("exchange", "alice", "bob", "mallory", "treasury")
PARTICIPANTS = ("exchange",)


class CoreMachine(ChainMachine):
    """Stablecoin + reserve, one collateral asset (the bond) priced by the oracle stub."""

    def __init__(self):
        super().__init__()
        g = copy.deepcopy(self.ctx.ghost)
        self.g = SimpleNamespace(**g)
        self._id_counter = 0
        self._last_under = False
        self._price_moved = False
        self._last_value = None
        self._read_back = None  # (rounds read, anchor) of the last report predicted

    # ------------------------------------------------------------------ model

    def addr(self, name: str) -> str:
        return getattr(self.who, name)

    def fresh(self, t: int) -> bool:
        g = self.g
        return g.updated_at != 0 and g.updated_at <= t and t - g.updated_at <= g.heartbeat

    def collateral_value(self, t: int) -> int:
        """Reserve.collateralValue() at time ``t``: the bond's haircut value, zero when its
        feed's answer is not usable then (stale, from the future, zero, above uint128 max),
        through the concentration caps (the vault shares listed beside it are held zero)."""
        g = self.g
        value = 0
        if self.fresh(t) and 0 < g.price <= MAX_ANSWER:
            value = g.bond_balance * g.price // 10**g.feed_decimals
            value = value * (BPS - g.haircut_bps) // BPS
        return water_fill([value], [g.cap_bps])

    def read_calls(self) -> dict:
        c, w = self.c, self.who
        calls = {f"bal:{n}": (c.coin, "balanceOf", w.__dict__[n]) for n in self.g.holders}
        calls.update({f"frozen:{n}": (c.coin, "frozen", w.__dict__[n]) for n in CORE_ACTORS})
        calls.update(
            {f"cash:{n}": (c.cash, "balanceOf", w.__dict__[n]) for n in self.g.cash_holders}
        )
        calls["supply"] = (c.coin, "totalSupply")
        calls["cash_supply"] = (c.cash, "totalSupply")
        calls["paused"] = (c.coin, "pausedFlags")
        calls["value"] = (c.reserve, "collateralValue")
        calls["feed"] = (c.feed, "latestRoundData")
        calls["fee"] = (c.reserve, "redemptionFeeBps")
        for i, iid in enumerate(sorted(self.g.used_ids)):
            calls[f"id:{i}"] = (c.reserve, "instructionExecuted", iid)
        for i, iid in enumerate(sorted(self.g.redeem_ids)):
            calls[f"rid:{i}"] = (c.reserve, "redemptionExecuted", w.exchange, iid)
        calls["id:never"] = (c.reserve, "instructionExecuted", text_to_bytes32("NEVER-USED"))
        for owner, spender in self.g.allow:
            calls[f"allow:{owner}:{spender}"] = (
                c.coin,
                "allowance",
                w.__dict__[owner],
                w.__dict__[spender],
            )
        return calls

    # ------------------------------------------------------------------ predictions

    def predict_transfer_update(self, src, dst, amount):
        """SovereignStablecoin._update for a holder-to-holder move, then OZ's balance check."""
        g = self.g
        if g.paused & Pause.TRANSFER:
            return ("StablecoinPaused", (Pause.TRANSFER,))
        if src in g.frozen:
            return ("StablecoinAccountFrozen", (self.addr(src),))
        if dst in g.frozen:
            return ("StablecoinAccountFrozen", (self.addr(dst),))
        if g.bal[src] < amount:
            return ("ERC20InsufficientBalance", (self.addr(src), g.bal[src], amount))
        return None

    def move(self, src, dst, amount):
        self.g.bal[src] -= amount
        self.g.bal[dst] += amount

    # ------------------------------------------------------------------ rules: issuance

    @rule(
        kind=st.sampled_from(["fraction", "fraction", "exact", "over_by_one", "far_over"]),
        permille=st.integers(1, 1000),
        id_kind=st.sampled_from(["new"] * 5 + ["replay", "zero"]),
        to=st.sampled_from(["exchange"] * 5 + ["alice"]),
    )
    def mint(self, kind, permille, id_kind, to):
        self.begin("mint")
        self._mint(kind, permille, id_kind, to)

    def _room(self, t: int) -> int:
        return self.collateral_value(t) * WAD // self.g.min_ratio - self.g.supply

    @precondition(lambda self: self._room(self.next_ts()) > 0)
    @rule()
    def mint_to_limit(self):
        """Mint exactly up to the ratio limit (hypothesis favours rules without arguments)."""
        self.begin("mint_to_limit")
        self._mint("exact", 1000, "new", "exchange")

    def _mint(self, kind, permille, id_kind, to):
        g, t = self.g, self.next_ts()
        value = self.collateral_value(t)  # zero with a stale feed: the ratio decides
        room = value * WAD // g.min_ratio - g.supply
        amount = {
            "fraction": max(1, room * permille // 1000),
            "exact": room,
            "over_by_one": room + 1,
            "far_over": room + room // 2 + WAD,
        }[kind]
        if amount <= 0:
            amount = 1_000 * WAD  # under-collateralized already: any mint must fail
        iid = pick_id(self, id_kind, g.used_ids, "MINT")
        to_addr = self.addr(to)
        after = g.supply + amount
        if iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif to not in PARTICIPANTS:
            expect = ("ReserveNotParticipant", (to_addr,))
        elif amount > g.allowance:
            expect = ("ReserveMinterAllowanceExceeded", (self.who.minter, amount, g.allowance))
        elif after > value * WAD // g.min_ratio:
            expect = (
                "ReserveCollateralRatioTooLow",
                (value * WAD // after, g.min_ratio, value, after),
            )
        elif g.paused & Pause.MINT:
            expect = ("StablecoinPaused", (Pause.MINT,))
        elif to in g.frozen:
            expect = ("StablecoinAccountFrozen", (to_addr,))
        else:
            expect = None
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused mint attempts"] += 1
        if expect and expect[0] == "ReserveCollateralRatioTooLow" and not self.fresh(t):
            self.stats.extra["mints refused with a stale feed (bond counted zero)"] += 1
        out = self.send(
            self.who.minter, self.c.reserve, "mint", to_addr, amount, iid, expect=expect
        )
        if not out.ok:
            return
        g.used_ids.add(iid)
        g.executions[iid] += 1
        g.supply += amount
        g.bal[to] += amount
        g.allowance -= amount
        # Right after a successful mint the reserve must hold the ratio.
        r = self.chain.read(
            {
                "value": (self.c.reserve, "collateralValue"),
                "supply": (self.c.coin, "totalSupply"),
                "ratio": (self.c.reserve, "collateralRatio"),
                "min": (self.c.reserve, "minCollateralRatioWad"),
            }
        )
        assert r["supply"] * r["min"] <= r["value"] * WAD, f"mint left the ratio below min: {r}"
        assert r["ratio"] >= r["min"], f"collateralRatio() below the minimum after a mint: {r}"
        self.stats.extra["mints at exactly the limit"] += kind == "exact"
        self.stats.extra["mints"] += 1

    @rule(
        who=st.sampled_from(["exchange"] * 5 + ["alice"]),
        permille=st.integers(0, 1100),
        dust=st.sampled_from(["none", "dust", "one_unit"]),
        id_kind=st.sampled_from(["new"] * 5 + ["replay", "zero"]),
    )
    def redeem(self, who, permille, dust, id_kind):
        """A redemption of a share of the balance (plus dust below one cash unit), or of one
        cash unit and dust (which a non-zero fee takes whole: ReserveRedemptionPaysNothing)."""
        self.begin("redeem")
        g = self.g
        amount = {
            "none": g.bal[who] * permille // 1000,
            "dust": g.bal[who] * permille // 1000 + 12_345,
            "one_unit": g.cash_unit + 12_345,
        }[dust]
        iid = pick_id(self, id_kind, g.redeem_ids, "RDM")
        gross = amount // g.cash_unit
        fee = ceil_div(gross * g.fee_bps, BPS)
        payout = gross - fee
        addr = self.addr(who)
        if who not in PARTICIPANTS:
            expect = ("ReserveNotParticipant", (addr,))
        elif amount == 0:
            expect = ("ReserveZeroAmount", ())
        elif iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.redeem_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif gross == 0:
            expect = ("ReserveAmountBelowCashUnit", (amount, g.cash_unit))
        elif payout == 0:
            expect = ("ReserveRedemptionPaysNothing", (amount, fee))
        elif payout > g.cash["reserve"]:
            expect = ("ReserveInsufficientCash", (payout, g.cash["reserve"]))
        elif g.paused & Pause.REDEEM:
            expect = ("StablecoinPaused", (Pause.REDEEM,))
        elif who in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        elif g.bal[who] < gross * g.cash_unit:
            expect = ("ERC20InsufficientBalance", (addr, g.bal[who], gross * g.cash_unit))
        else:
            expect = None
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused redeem attempts"] += 1
        out = self.send(addr, self.c.reserve, "redeem", amount, iid, expect=expect)
        if out.ok:
            g.redeem_ids.add(iid)
            g.bal[who] -= gross * g.cash_unit
            g.supply -= gross * g.cash_unit
            g.cash["reserve"] -= payout
            g.cash[who] += payout
            self.stats.extra["redemptions paying a fee"] += fee > 0

    @rule(bps=st.sampled_from([0, 1, 100, 101]))
    def set_fee(self, bps):
        """The governor's delayed fee change (a day passes: the feed goes stale unless
        refreshed); above MAX_REDEMPTION_FEE_BPS (100) it reverts at execution."""
        self.begin("set_fee")
        if bps > 100:
            name = b"redemptionFeeBps".ljust(32, b"\0")
            expect = ("ReserveParameterOutOfBounds", (name, bps, 0, 100))
        else:
            expect = None
        out = self.governed(self.c.reserve, "setRedemptionFee", bps, expect=expect)
        if out.ok:
            self.g.fee_bps = bps

    @rule(
        permille=st.integers(0, 1100),
        id_kind=st.sampled_from(["new", "new", "replay", "zero"]),
    )
    def burn(self, permille, id_kind):
        self.begin("burn")
        g = self.g
        amount = g.bal["treasury"] * permille // 1000
        iid = pick_id(self, id_kind, g.used_ids, "BURN")
        addr = self.who.treasury
        if amount == 0:
            expect = ("ReserveZeroAmount", ())
        elif iid == ZERO_ID:
            expect = ("ReserveInvalidInstructionId", ())
        elif iid in g.used_ids:
            expect = ("ReserveInstructionAlreadyExecuted", (iid,))
        elif "treasury" in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        elif g.bal["treasury"] < amount:
            expect = ("ERC20InsufficientBalance", (addr, g.bal["treasury"], amount))
        else:
            expect = None
        out = self.send(addr, self.c.reserve, "burn", amount, iid, expect=expect)
        if out.ok:
            g.used_ids.add(iid)
            g.executions[iid] += 1
            g.bal["treasury"] -= amount
            g.supply -= amount

    # ------------------------------------------------------------------ rules: secondary market

    @rule(
        src=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
    )
    def transfer(self, src, dst, permille):
        self.begin("transfer")
        amount = self.g.bal[src] * permille // 1000
        expect = self.predict_transfer_update(src, dst, amount)
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused transfer attempts"] += 1
        out = self.send(
            self.addr(src), self.c.coin, "transfer", self.addr(dst), amount, expect=expect
        )
        if out.ok:
            self.move(src, dst, amount)

    @rule(
        owner=st.sampled_from(CORE_ACTORS),
        spender=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
        via=st.sampled_from(["permit", "permit", "approve", "infinite"]),
    )
    def transfer_from(self, owner, spender, dst, permille, via):
        self.begin("transfer_from")
        g = self.g
        if owner == spender:
            spender = CORE_ACTORS[(CORE_ACTORS.index(owner) + 1) % len(CORE_ACTORS)]
        o, sp = self.addr(owner), self.addr(spender)
        amount = g.bal[owner] * permille // 1000
        allowance = MAX if via == "infinite" else amount
        if owner in g.frozen:
            expect = ("StablecoinAccountFrozen", (o,))
        elif spender in g.frozen:
            expect = ("StablecoinAccountFrozen", (sp,))
        else:
            expect = None
        if via == "permit":
            deadline = MAX
            v, r, s = sign_permit(
                self.c.coin,
                self.ctx.signers[o],
                sp,
                allowance,
                deadline,
                nonce=g.nonces[owner],
                domain=g.coin_domain,  # read at set-up: no call per permit
            )
            args = (o, sp, allowance, deadline, v, r, s)
            out = self.send(sp, self.c.coin, "permit", *args, expect=expect, what="permit")
            if out.ok:
                g.nonces[owner] += 1
                g.allow[(owner, spender)] = allowance
                # The same signature again: the nonce moved on, so it recovers another signer.
                replay = ("ERC2612InvalidSigner", None)
                self.send(sp, self.c.coin, "permit", *args, expect=replay, what="permit replay")
        else:
            out = self.send(o, self.c.coin, "approve", sp, allowance, expect=expect, what="approve")
        if not out.ok:
            return
        g.allow[(owner, spender)] = allowance
        current = g.allow[(owner, spender)]
        if spender in g.frozen:
            expect = ("StablecoinAccountFrozen", (sp,))
        elif current != MAX and current < amount:
            expect = ("ERC20InsufficientAllowance", (sp, current, amount))
        elif current != MAX and owner in g.frozen:
            expect = ("StablecoinAccountFrozen", (o,))
        else:
            expect = self.predict_transfer_update(owner, dst, amount)
        if expect and expect[0] == "StablecoinPaused":
            self.stats.extra["paused transfer attempts"] += 1
        out = self.send(sp, self.c.coin, "transferFrom", o, self.addr(dst), amount, expect=expect)
        if out.ok:
            self.move(owner, dst, amount)
            if current != MAX:
                g.allow[(owner, spender)] = current - amount

    # ------------------------------------------------------------------ rules: compliance

    def _steer(self, account: str, frozen: bool) -> str:
        """Mostly an account in the state a rule can act on (frozen or not), when any is."""
        pool = sorted(a for a in CORE_ACTORS if (a in self.g.frozen) == frozen)
        return pool[CORE_ACTORS.index(account) % len(pool)] if pool else account

    @rule(account=st.sampled_from(CORE_ACTORS + ("reserve",)), steer=st.booleans())
    def freeze(self, account, steer):
        self.begin("freeze")
        g = self.g
        if steer and account != "reserve":
            account = self._steer(account, frozen=False)
        addr = self.addr(account)
        if account == "reserve":
            expect = ("StablecoinCannotFreeze", (addr,))
        elif account in g.frozen:
            expect = ("StablecoinAccountFrozen", (addr,))
        else:
            expect = None
        out = self.send(
            self.who.compliance, self.c.coin, "freeze", addr, b"AML".ljust(32, b"\0"), expect=expect
        )
        if out.ok:
            g.frozen.add(account)
            g.frozen_balance[account] = g.bal[account]

    @precondition(lambda self: self.g.frozen or self._moves % 5 == 0)
    @rule(account=st.sampled_from(CORE_ACTORS), steer=st.sampled_from([True, True, True, False]))
    def unfreeze(self, account, steer):
        self.begin("unfreeze")
        g = self.g
        if steer:
            account = self._steer(account, frozen=True)
        addr = self.addr(account)
        expect = None if account in g.frozen else ("StablecoinAccountNotFrozen", (addr,))
        out = self.send(self.who.compliance, self.c.coin, "unfreeze", addr, ZERO_ID, expect=expect)
        if out.ok:
            g.frozen.discard(account)
            g.frozen_balance.pop(account)

    @precondition(lambda self: self.g.frozen or self._moves % 5 == 0)
    @rule(
        src=st.sampled_from(CORE_ACTORS),
        dst=st.sampled_from(CORE_ACTORS),
        permille=st.integers(0, 1100),
        steer=st.sampled_from([True, True, True, False]),
    )
    def seize(self, src, dst, permille, steer):
        """A court-ordered seizure (mostly from a frozen account to a free one)."""
        self.begin("seize")
        g = self.g
        if steer:
            src, dst = self._steer(src, frozen=True), self._steer(dst, frozen=False)
        amount = g.bal[src] * permille // 1000
        s, d = self.addr(src), self.addr(dst)
        if src not in g.frozen:
            expect = ("StablecoinAccountNotFrozen", (s,))
        elif amount == 0:
            expect = ("StablecoinInvalidSeizure", (d, 0))
        elif dst in g.frozen:
            expect = ("StablecoinAccountFrozen", (d,))
        elif g.bal[src] < amount:
            expect = ("ERC20InsufficientBalance", (s, g.bal[src], amount))
        else:
            expect = None
        case = b"COURT".ljust(32, b"\0")
        out = self.send(
            self.who.compliance, self.c.coin, "seize", s, d, amount, case, expect=expect
        )
        if out.ok:
            self.move(src, dst, amount)
            g.frozen_balance[src] -= amount
            self.stats.extra["seizures"] += 1

    # ------------------------------------------------------------------ rules: pauses

    @precondition(lambda self: self.g.paused != Pause.MINT | Pause.REDEEM | Pause.TRANSFER)
    @rule(flag=st.sampled_from([Pause.MINT, Pause.REDEEM, Pause.TRANSFER]))
    def pause(self, flag):
        self.begin("pause")
        self.send(self.who.guardian, self.c.coin, "pause", flag)
        self.g.paused |= flag

    @precondition(lambda self: self.g.paused)
    @rule(flag=st.sampled_from([Pause.MINT, Pause.REDEEM, Pause.TRANSFER]))
    def unpause(self, flag):
        """The governor's delayed unpause: a day passes (feeds go stale unless refreshed)."""
        self.begin("unpause")
        self.governed(self.c.coin, "unpause", flag)
        self.g.paused &= ~flag

    # ------------------------------------------------------------------ rules: oracle and time

    def predict_report(self, answer: int, t: int) -> tuple | None:
        """ReportedPriceFeed.report(answer) at time ``t``, from the ghost of every round:
        read the rounds back from the latest, taking each answer; stop after one written
        at or before t - deviationWindow, a forced one, or round 1; more than
        MAX_REPORTS_PER_WINDOW (32) to read reverts. The answer must lie within
        maxDeviationBps of the lowest and of the highest answer read (each deviation
        |answer - p| * 10000 / p rounded up; the anchor is the one deviating more, the
        low one on a tie)."""
        g = self.g
        if answer <= 0 or answer > INT192_MAX:
            return ("FeedInvalidAnswer", (answer,))
        if not g.rounds:
            return None
        start = t - g.window if t > g.window else 0
        low = high = None
        index, read = len(g.rounds) - 1, 1
        while True:
            price, updated_at, forced = g.rounds[index]
            low = price if low is None else min(low, price)
            high = price if high is None else max(high, price)
            if updated_at <= start or forced or index == 0:
                break
            if read == g.max_reports:
                return ("FeedTooManyReports", (read, g.window))
            index, read = index - 1, read + 1
        from_low = ceil_div(abs(answer - low) * BPS, low)
        from_high = ceil_div(abs(answer - high) * BPS, high)
        anchor, deviation = (low, from_low) if from_low >= from_high else (high, from_high)
        self._read_back = (read, anchor)
        if deviation > g.max_deviation_bps:
            return ("FeedDeviationTooLarge", (anchor, answer, deviation, g.max_deviation_bps))
        return None

    def _write_round(self, answer: int, timestamp: int, forced: bool) -> None:
        g = self.g
        self._price_moved |= answer != g.price
        g.rounds.append((answer, timestamp, forced))
        g.price, g.updated_at = answer, timestamp

    def _report(self, answer: int, what: str) -> Outcome:
        self._read_back = None
        expect = self.predict_report(answer, self.next_ts())
        if self._read_back and self._read_back[1] != self.g.price:
            self.stats.extra["reports checked against an older answer than the last"] += 1
        if self._read_back:
            self.stats.extra["deepest read-back (rounds)"] = max(
                self.stats.extra["deepest read-back (rounds)"], self._read_back[0]
            )
        out = self.send(self.who.reporter, self.c.feed, "report", answer, expect=expect, what=what)
        if out.ok:
            self._write_round(answer, out.timestamp, forced=False)
        return out

    @rule(bps=st.one_of(st.integers(-1000, 1000), st.sampled_from([-1001, 1001, -2500])))
    def report_price(self, bps):
        self.begin("report_price")
        self._report(self.g.price + self.g.price * bps // BPS, "report_price")

    @rule(reports=st.integers(2, 5), bps=st.integers(-1000, 1000))
    def price_walk(self, reports, bps):
        """Several reports in one direction, a second apart: the window bounds the walk
        by maxDeviationBps from every answer in it (FeedDeviationTooLarge names the
        farthest one as anchor)."""
        self.begin("price_walk")
        for _ in range(reports):
            self._report(self.g.price + self.g.price * bps // BPS, "report")

    @rule(bps=st.sampled_from([0, 1, -1]))
    def report_flood(self, bps):
        """Reports a second apart until the read-back exceeds MAX_REPORTS_PER_WINDOW rounds
        inside the window (FeedTooManyReports), or 33 were sent."""
        self.begin("report_flood")
        for _ in range(self.g.max_reports + 1):
            out = self._report(self.g.price + self.g.price * bps // BPS, "flood")
            if not out.ok:
                break

    @rule(bps=st.sampled_from([-3000, -1500, 1500, 3000]))
    def force_report(self, bps):
        """The governor forces an answer beyond the bound (a day's delay); the forced round
        is the new reference: a report right after it reads back no older answer."""
        self.begin("force_report")
        answer = self.g.price + self.g.price * bps // BPS
        out = self.governed(self.c.feed, "forceReport", answer)
        self._write_round(answer, out.timestamp, forced=True)
        self._report(answer, "report after force")

    @rule(
        kind=st.sampled_from(
            [
                "minute",
                "hour",
                "day",
                "week",
                "heartbeat_edge",
                "past_edge",
                "window_edge",
                "inside_window",
            ]
        ),
        refresh=st.booleans(),
    )
    def time_travel(self, kind, refresh):
        """Move the clock; the heartbeat kinds put the next transaction exactly on the
        feed's freshness edge (still fresh) or one second past it (stale); the window kinds
        put it where the oldest round still inside the deviation window leaves it (the
        read-back stops there) or one second before (it reads one round further)."""
        self.begin("time_travel")
        g, head = self.g, self.snap()["head"][1]
        inside = [at for _, at, _ in g.rounds if at + g.window > head + 1]
        oldest = inside[0] if inside else g.updated_at
        target = {
            "minute": head + 60,
            "hour": head + 3_600,
            "day": head + DAY,
            "week": head + 7 * DAY,
            "heartbeat_edge": g.updated_at + g.heartbeat - 1,
            "past_edge": g.updated_at + g.heartbeat,
            "window_edge": oldest + g.window - 1,
            "inside_window": oldest + g.window - 2,
        }[kind]
        if target > head:
            self.travel_to(target)
        if refresh:
            self._report(g.price, "refresh")

    # ------------------------------------------------------------------ invariants

    def check_ghost_balances(self, s: dict, after_revert: bool = False) -> None:
        g = self.g
        prefix = "a reverted call moved funds: " if after_revert else ""
        for n in g.holders:
            assert s[f"bal:{n}"] == g.bal[n], f"{prefix}{n} holds {s[f'bal:{n}']} != {g.bal[n]}"
        for n in g.cash_holders:
            assert s[f"cash:{n}"] == g.cash[n], f"{prefix}{n} cash {s[f'cash:{n}']} != {g.cash[n]}"
        assert s["supply"] == g.supply, f"{prefix}supply {s['supply']} != ghost {g.supply}"

    @invariant()
    def balances_sum_to_total_supply(self):
        s = self.snap()
        self.stats.invariant_checks += 1
        total = sum(s[f"bal:{n}"] for n in self.g.holders)
        assert total == s["supply"], f"sum of balances {total} != totalSupply {s['supply']}"
        cash = sum(s[f"cash:{n}"] for n in self.g.cash_holders)
        assert cash == s["cash_supply"], f"cash held {cash} != cash supply {s['cash_supply']}"

    @invariant()
    def chain_matches_ghost(self):
        s = self.snap()
        self.check_ghost_balances(s)
        g = self.g
        assert s["paused"] == g.paused, f"pause flags {s['paused']} != ghost {g.paused}"
        for n in CORE_ACTORS:
            assert s[f"frozen:{n}"] == (n in g.frozen), f"freeze flag of {n}"
        round_id, answer, _, updated_at, _ = s["feed"]
        assert (answer, updated_at) == (g.price, g.updated_at), "feed differs from ghost"
        assert round_id == len(g.rounds), f"feed at round {round_id}, ghost {len(g.rounds)}"
        assert g.rounds[-1][:2] == (answer, updated_at)
        assert s["fee"] == g.fee_bps, f"redemption fee {s['fee']} != ghost {g.fee_bps}"
        for (owner, spender), allowance in g.allow.items():
            got = s[f"allow:{owner}:{spender}"]
            assert got == allowance, f"allowance {owner}->{spender} {got} != ghost {allowance}"

    @invariant()
    def frozen_balances_change_only_by_seizure(self):
        s = self.snap()
        for n, expected in self.g.frozen_balance.items():
            assert s[f"bal:{n}"] == expected, f"frozen {n}: balance moved other than by seizure"

    @invariant()
    def supply_backed_unless_prices_moved(self):
        """totalSupply <= collateral value / min ratio, except after price/time moves."""
        s, g = self.snap(), self.g
        value, head = s["value"], s["head"][1]
        assert not isinstance(value, Reverted), f"collateralValue() reverted: {value}"
        stale = not self.fresh(head)
        expected = self.collateral_value(head)
        assert value == expected, f"collateralValue() {value} != model {expected}"
        assert not stale or value == 0, "a stale feed's asset counted"
        cause = None
        if self._last_value is not None and value < self._last_value:
            if stale:
                cause = "feed went stale"  # the bond counts zero without a usable price
            else:
                assert self._price_moved, f"collateral value fell in {self._rule}, no price move"
                cause = "price report"
            self.stats.value_falls[cause] += 1
        self._last_value = value
        self._price_moved = False
        self.note_backing(value, s["supply"], g.min_ratio, cause, stale=stale)

    @invariant()
    def instruction_ids_executed_once(self):
        s, g = self.snap(), self.g
        for i, iid in enumerate(sorted(g.used_ids)):
            assert s[f"id:{i}"] is True, f"instruction {iid!r} not recorded as executed"
            assert g.executions[iid] == 1, f"instruction {iid!r} executed {g.executions[iid]}x"
        for i, iid in enumerate(sorted(g.redeem_ids)):
            assert s[f"rid:{i}"] is True, f"redemption {iid!r} not recorded"
        assert s["id:never"] is False
