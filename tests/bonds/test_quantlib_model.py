"""BondSeries against an independent model: QuantLib 1.44 (tests/bonds/qlmodel.py).

Every test deploys series from `BondTerms` (a test account stands in for the registry:
the constructor checks the terms, not the clock, so dates may lie in the past or the
far future, and the views take their timestamp as an argument) and compares, with
QuantLib's FixedRateBond built from the same terms:

- the schedule: couponCount, couponDate(k), accrualStartDate(k), recordDate(k) (QuantLib's
  ex-coupon date), issueDate, maturity;
- coupon amounts: couponOn(10**decimals, k) is floor(face * rate * yearFraction) in cash
  units, so 0 <= QuantLib - on-chain < 1 (plus QuantLib's double error), and equals the
  floor of the exact amount; couponOn on any amount is floor(amount * exact / 10**decimals);
- accrued interest: accruedInterest(ts) at day granularity, negative ex-coupon, rounded
  down (floor, also when negative), so -1 < on-chain - QuantLib <= 0 (plus double error);
- record-date bookkeeping: recordsPassed(ts) counts the record dates on or before ts's
  day, nextCoupon(ts) the coupons paid by then;
- a sale (buy) charges accrued interest rounded up instead: ceil(exact), 0 <= it -
  QuantLib < 1;
- a floating coupon, once fixed from the reference feed, is QuantLib's fixed coupon at
  the fixed rate.

Hand-picked terms (each for the four day counts) cover regular, short and long first
periods, month-ends with the end-of-month rule on and off, 31st days under 30/360, leap
days and 2100; hypothesis draws the rest (see `random_terms`).

Views are read in JSON-RPC batches (one round trip for hundreds of eth_calls, posted
through web3 so that Solidity coverage traces each): a 30-year quarterly series has
121 coupons and is probed at about 800 timestamps.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import secrets
import zlib
from decimal import Decimal
from fractions import Fraction

import ape
import pytest
import QuantLib as ql
from ape.exceptions import ContractLogicError
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from sovereign.bondterms import DAY_COUNTS, BondTerms, day_timestamp, rate_wad
from tests.bonds.qlmodel import (
    DAY,
    QLModel,
    add_months,
    float_tolerance,
    floor,
    from_ql,
    ql_timestamp,
    to_ql,
)
from tests.utils.bonds import deploy_series

# Largest differences seen, reported by the module's teardown (run with -s to see them).
# QuantLib's float differences are kept only for faces whose double error is below
# 0.001 cash unit (face < ~1e12); above, the exact differences tell.
PRECISE_TOLERANCE = 1e-3
STATS = {
    "coupon: QuantLib - on-chain (precise faces)": Fraction(0),
    "coupon: exact - on-chain": Fraction(0),
    "accrued: on-chain - QuantLib, most negative (precise faces)": Fraction(0),
    "accrued: on-chain - QuantLib, most positive (precise faces)": Fraction(0),
    "accrued: on-chain - exact, most negative": Fraction(0),
    "accrued: on-chain - exact, most positive": Fraction(0),
    "examples": 0,
    "coupons checked": 0,
    "timestamps checked": 0,
}


def note_max(key: str, value: Fraction):
    STATS[key] = max(STATS[key], value)


def note_min(key: str, value: Fraction):
    STATS[key] = min(STATS[key], value)


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    print("\nQuantLib model, largest differences [cash units per whole token]:")
    for name, value in STATS.items():
        print(f"  {name}: {float(value):.6g}")


# Anvil (1.7.1) can run the old code of a contract created in a reverted snapshot when
# another is later created at the same address (tests/utils/audit.py, `deploy`), and a
# deployer's nonce comes back with every test's revert. So the deployer is an address
# of this module's own, every test (and the module's set-up) deploys from nonces never
# used before, and `deploy` checks that no address repeats.
_FRESH_NONCES = itertools.count(7_000_000, 10_000)
_DEPLOYED: set[str] = set()


def _skip_to_fresh_nonces(account):
    reply = ape.chain.provider.make_request(
        "anvil_setNonce", [account.address, hex(next(_FRESH_NONCES))]
    )
    assert reply is None or "error" not in reply, reply


@pytest.fixture(scope="module")
def issuer(accounts):
    """Deploys the series and so is their registry (no view here depends on it): a
    random, impersonated address with gas money, used by no other module."""
    address = to_checksum_address(secrets.token_bytes(20))
    ape.chain.set_balance(address, 10**24)
    return accounts.impersonate_account(address)


@pytest.fixture(autouse=True)
def _fresh_deployments(issuer):
    _skip_to_fresh_nonces(issuer)


@pytest.fixture(scope="module")
def settlement_cash(project, issuer):
    """Settlement tokens by decimals (the series' arithmetic never reads them)."""
    _skip_to_fresh_nonces(issuer)
    return {
        dec: project.MockERC20.deploy(f"Cash{dec}", f"C{dec}", dec, sender=issuer)
        for dec in (6, 18)
    }


@pytest.fixture(scope="module")
def deploy(project, issuer, accounts, settlement_cash):
    treasury = accounts[18]

    def make(terms: BondTerms, cash_decimals: int = 6):
        series = deploy_series(project, issuer, settlement_cash[cash_decimals], treasury, terms)
        assert series.address not in _DEPLOYED, "a series address came back"
        _DEPLOYED.add(series.address)
        return series

    return make


# ---------------------------------------------------------------- batched views


class Views:
    """eth_calls to one series, sent as raw JSON-RPC batches over the provider's HTTP
    endpoint (web3's per-request formatting costs more than anvil's execution).
    Arguments and results are ABI-encoded with eth_abi from the signatures below."""

    SIGNATURES = {
        "couponCount": ((), ("uint256",)),
        "couponCountAtIssue": ((), ("uint256",)),
        "issueDate": ((), ("uint256",)),
        "maturity": ((), ("uint256",)),
        "couponDate": (("uint256",), ("uint256",)),
        "accrualStartDate": (("uint256",), ("uint256",)),
        "recordDate": (("uint256",), ("uint256",)),
        "couponRate": (("uint256",), ("uint256", "bool")),
        "couponOn": (("uint256", "uint256"), ("uint256",)),
        "accruedInterest": (("uint256",), ("int256",)),
        "recordsPassed": (("uint256",), ("uint256",)),
        "nextCoupon": (("uint256",), ("uint256",)),
    }
    CHUNK = 500

    def __init__(self, series):
        self.address = series.address
        self.http = ape.chain.provider.web3.provider

    def replies(self, name: str, arg_lists: list[tuple]) -> list[dict]:
        inputs, _ = self.SIGNATURES[name]
        selector = function_signature_to_4byte_selector(f"{name}({','.join(inputs)})")
        replies = []
        for i in range(0, len(arg_lists), self.CHUNK):
            chunk = arg_lists[i : i + self.CHUNK]
            body = [
                {
                    "jsonrpc": "2.0",
                    "id": j,
                    "method": "eth_call",
                    "params": [
                        {"to": self.address, "data": "0x" + (selector + encode(inputs, a)).hex()},
                        "latest",
                    ],
                }
                for j, a in enumerate(chunk)
            ]
            # Through web3's HTTPProvider._make_request: the Solidity coverage plugin
            # sees (and traces) every eth_call of the batch.
            raw = self.http._make_request("eth_call", json.dumps(body).encode())
            by_id = {r["id"]: r for r in json.loads(raw)}
            replies += [by_id[j] for j in range(len(chunk))]
        return replies

    def many(self, name: str, arg_lists: list[tuple]) -> list:
        _, outputs = self.SIGNATURES[name]
        results = []
        for args, reply in zip(arg_lists, self.replies(name, arg_lists), strict=True):
            assert "result" in reply, f"{name}{args} failed: {reply.get('error')}"
            out = decode(outputs, bytes.fromhex(reply["result"][2:]))
            results.append(out[0] if len(out) == 1 else tuple(out))
        return results

    def reverts(self, name: str, *args) -> bool:
        return "error" in self.replies(name, [args])[0]

    def one(self, name: str, *args):
        return self.many(name, [args])[0]


# ---------------------------------------------------------------- the comparisons


def describe(terms: BondTerms) -> str:
    return (
        f"issue={terms.issue} first={terms.first_coupon} maturity={terms.maturity} "
        f"freq={terms.frequency} {terms.day_count} eom={terms.end_of_month} "
        f"rate={terms.coupon_rate} face={terms.face_value} decimals={terms.decimals} "
        f"recordDays={terms.record_days}"
    )


def check_schedule(views: Views, model: QLModel, terms: BondTerms):
    """couponCount, every couponDate/accrualStartDate/recordDate, issueDate and maturity
    equal QuantLib's schedule, coupon dates and ex-coupon dates (and coupon n is unknown)."""
    n = model.count
    where = describe(terms)
    assert views.one("couponCount") == n, where
    assert views.one("couponCountAtIssue") == n, where
    assert views.one("issueDate") == day_timestamp(terms.issue), where
    assert views.one("maturity") == model.coupon_date(n - 1) == day_timestamp(terms.maturity), where
    for name in ("couponDate", "accrualStartDate", "recordDate"):
        assert views.reverts(name, n), f"{name}({n}) beyond the last coupon; {where}"
    ks = [(k,) for k in range(n)]
    for name, expected in (
        ("couponDate", model.coupon_date),
        ("accrualStartDate", model.accrual_start),
        ("recordDate", model.record_date),
    ):
        got = views.many(name, ks)
        want = [expected(k) for k in range(n)]
        for k in range(n):
            assert got[k] == want[k], (
                f"{name}({k}) = {dt.datetime.fromtimestamp(got[k], dt.UTC).date()}, "
                f"QuantLib {dt.datetime.fromtimestamp(want[k], dt.UTC).date()}; {where}"
            )


def check_coupons(views: Views, model: QLModel, terms: BondTerms, rng: random.Random):
    """couponOn(one whole token, k) = floor(exact) and 0 <= QuantLib - it < 1 (+ double
    error); couponOn(amount, k) = floor(amount * exact / 10**decimals); couponRate known."""
    n, one, where = model.count, model.one, describe(terms)
    tol = float_tolerance(model.face)
    per_token = views.many("couponOn", [(one, k) for k in range(n)])
    amounts = [rng.choice([0, 1, one - 1, rng.randrange(1, 10**40)]) for _ in range(n)]
    on_amounts = views.many("couponOn", [(a, k) for k, a in enumerate(amounts)])
    rates = views.many("couponRate", [(k,) for k in range(n)])
    for k in range(n):
        exact = model.coupon_exact(k)
        got = per_token[k]
        assert got == floor(exact), f"couponOn(1 token, {k}) = {got}, exact {exact}; {where}"
        diff = Fraction(model.coupon_float(k)) - got
        assert -tol <= diff < 1 + tol, f"coupon {k}: QuantLib - on-chain = {float(diff)}; {where}"
        assert on_amounts[k] == floor(amounts[k] * exact / one), (k, amounts[k], where)
        assert rates[k] == (rate_wad(terms.coupon_rate), True), (k, where)
        note_max("coupon: exact - on-chain", exact - got)
        if tol < PRECISE_TOLERANCE:
            note_max("coupon: QuantLib - on-chain (precise faces)", diff)
    STATS["coupons checked"] += n


def probe_timestamps(
    model: QLModel, terms: BondTerms, rng: random.Random, spread: int
) -> list[int]:
    """Issue and maturity, every coupon and record date, the day before and after each,
    a random second within those days, and `spread` random instants over the life."""

    def within(day_ts: int) -> int:
        return day_ts + rng.randrange(DAY)

    issue = day_timestamp(terms.issue)
    maturity = day_timestamp(terms.maturity)
    points = {
        0,
        issue - 1,
        issue,
        issue + DAY,
        within(issue),
        maturity - 1,
        maturity,
        maturity + DAY,
    }
    for k in range(model.count):
        for day_ts in (model.coupon_date(k), model.record_date(k)):
            points.update({day_ts - DAY, day_ts - 1, day_ts, within(day_ts), day_ts + DAY})
    points.update(rng.randrange(issue - 30 * DAY, maturity + 30 * DAY) for _ in range(spread))
    return sorted(p for p in points if p >= 0)


def check_accrued(views: Views, model: QLModel, terms: BondTerms, stamps: list[int]):
    """accruedInterest(ts) = floor(exact) and -1 < on-chain - QuantLib <= 0 (+ double error)."""
    tol = float_tolerance(model.face)
    where = describe(terms)
    got = views.many("accruedInterest", [(ts,) for ts in stamps])
    for ts, onchain in zip(stamps, got, strict=True):
        exact = model.accrued_exact(ts)
        qlf = model.accrued_float(ts)
        day = dt.datetime.fromtimestamp(ts, dt.UTC)
        # The exact mirror of QuantLib's rule agrees with QuantLib itself.
        assert abs(float(exact) - qlf) <= tol, (day, float(exact), qlf, where)
        assert onchain == floor(
            exact
        ), f"accruedInterest({ts} = {day}) = {onchain}, exact {exact}; {where}"
        diff = onchain - Fraction(qlf)
        assert (
            -1 - tol < diff <= tol
        ), f"accrued at {day}: on-chain - QuantLib = {float(diff)}; {where}"
        note_min("accrued: on-chain - exact, most negative", onchain - exact)
        note_max("accrued: on-chain - exact, most positive", onchain - exact)
        if tol < PRECISE_TOLERANCE:
            note_min("accrued: on-chain - QuantLib, most negative (precise faces)", diff)
            note_max("accrued: on-chain - QuantLib, most positive (precise faces)", diff)
    STATS["timestamps checked"] += len(stamps)


def check_records(views: Views, model: QLModel, terms: BondTerms, stamps: list[int]):
    """recordsPassed(ts) = the record dates on or before ts's day; nextCoupon(ts) = the
    coupons paid by then."""
    where = describe(terms)
    passed = views.many("recordsPassed", [(ts,) for ts in stamps])
    nxt = views.many("nextCoupon", [(ts,) for ts in stamps])
    for ts, p, c in zip(stamps, passed, nxt, strict=True):
        day = dt.datetime.fromtimestamp(ts, dt.UTC)
        assert p == model.records_passed(ts), f"recordsPassed({day}) = {p}; {where}"
        assert c == model.coupons_paid(ts), f"nextCoupon({day}) = {c}; {where}"


def check_everything(deploy, terms: BondTerms, cash_decimals: int, seed: int, spread: int = 40):
    model = QLModel(terms)
    views = Views(deploy(terms, cash_decimals))
    rng = random.Random(seed)
    stamps = probe_timestamps(model, terms, rng, spread)
    check_schedule(views, model, terms)
    check_coupons(views, model, terms, rng)
    check_accrued(views, model, terms, stamps)
    check_records(views, model, terms, stamps)
    STATS["examples"] += 1


# ---------------------------------------------------------------- hand-picked terms


def terms(issue, first, maturity, frequency, day_count, eom, *, record_days=15, **kw) -> BondTerms:
    return BondTerms(
        name="QuantLib model bond",
        isin="QL0000000001",
        currency="SLL",
        decimals=kw.pop("decimals", 6),
        face_value=kw.pop("face_value", 100 * 10**6),
        issue=issue,
        first_coupon=first,
        maturity=maturity,
        frequency=frequency,
        day_count=day_count,
        coupon_rate=kw.pop("coupon_rate", Decimal("0.12375")),
        end_of_month=eom,
        record_days=record_days,
        **kw,
    )


D = dt.date
# name: (issue, first coupon, maturity, frequency, end of month, record days)
CASES = {
    "regular-first": (D(2031, 3, 15), D(2031, 9, 15), D(2034, 3, 15), 2, True, 15),
    "short-first": (D(2031, 5, 10), D(2031, 9, 15), D(2036, 9, 15), 2, True, 15),
    "short-first-5-days": (D(2031, 9, 10), D(2031, 9, 15), D(2033, 9, 15), 2, False, 4),
    "long-first": (D(2030, 12, 1), D(2031, 9, 15), D(2035, 9, 15), 2, True, 15),
    "long-first-maximal": (D(2030, 9, 15), D(2031, 9, 15), D(2033, 9, 15), 2, False, 10),
    "long-first-quarterly-eom": (D(2031, 1, 20), D(2031, 6, 30), D(2034, 6, 30), 4, True, 7),
    "long-first-annual-feb29": (D(2030, 6, 15), D(2032, 2, 29), D(2040, 2, 29), 1, True, 30),
    "aug31-eom-on": (D(2031, 8, 31), D(2032, 2, 29), D(2036, 2, 29), 2, True, 15),
    "aug31-eom-off": (D(2031, 8, 31), D(2032, 2, 29), D(2036, 2, 29), 2, False, 15),
    "feb28-eom-on": (D(2032, 11, 30), D(2033, 2, 28), D(2036, 2, 29), 4, True, 10),
    "feb28-eom-off": (D(2032, 11, 30), D(2033, 2, 28), D(2036, 2, 28), 4, False, 10),
    "apr30-eom-on": (D(2031, 1, 15), D(2031, 4, 30), D(2041, 4, 30), 1, True, 20),
    "thirty-first-days": (D(2031, 1, 31), D(2031, 7, 31), D(2034, 7, 31), 2, False, 15),
    "thirtieth-to-31st": (D(2031, 3, 30), D(2031, 7, 31), D(2034, 1, 31), 2, False, 15),
    "leap-feb29-issue": (D(2028, 2, 29), D(2029, 2, 28), D(2032, 2, 29), 1, True, 15),
    "year-2100-not-leap": (D(2099, 8, 31), D(2100, 2, 28), D(2102, 8, 31), 2, True, 15),
    "issue-month-end-first-not": (D(2031, 2, 28), D(2031, 8, 28), D(2033, 8, 28), 2, True, 15),
    "regular-by-clipping-eom-off": (D(2032, 8, 30), D(2033, 2, 28), D(2035, 2, 28), 2, False, 15),
    "regular-by-clipping-eom-on": (D(2032, 8, 30), D(2033, 2, 28), D(2035, 2, 28), 2, True, 15),
    "long-first-aug31-eom-maximal": (D(2030, 8, 28), D(2031, 8, 31), D(2034, 8, 31), 2, True, 15),
    "y2000-leap": (D(1999, 8, 31), D(2000, 2, 29), D(2003, 2, 28), 2, True, 15),
    "single-coupon": (D(2031, 3, 15), D(2032, 3, 15), D(2032, 3, 15), 1, False, 15),
    "no-record-days": (D(2031, 3, 15), D(2031, 6, 15), D(2033, 6, 15), 4, False, 0),
}


@pytest.mark.parametrize("day_count", list(DAY_COUNTS))
@pytest.mark.parametrize("case", list(CASES))
def test_hand_picked_terms_match_quantlib(deploy, case, day_count):
    """Schedule, coupon amounts, accrued interest and record bookkeeping of one
    hand-picked series equal QuantLib's (see the module docstring for each rule)."""
    issue, first, maturity, frequency, eom, record_days = CASES[case]
    t = terms(issue, first, maturity, frequency, day_count, eom, record_days=record_days)
    check_everything(deploy, t, 6, seed=zlib.crc32(f"{case} {day_count}".encode()), spread=60)


def test_long_first_period_is_split_at_the_quasi_coupon_date():
    """The model itself: QuantLib's ACT/ACT-ICMA long first coupon (issue 2030-12-01,
    first 2031-09-15, semi-annual) is the issue-to-quasi-date part over its notional
    period (2030-09-15 .. 2031-03-15) plus a regular half year."""
    m = QLModel(terms(D(2030, 12, 1), D(2031, 9, 15), D(2035, 9, 15), 2, "ACT/ACT-ICMA", True))
    c = m.coupons[0]
    assert from_ql(c.referencePeriodStart()) == D(2031, 3, 15)
    early = Fraction(104, 181)  # 2030-12-01 .. 2031-03-15 over 2030-09-15 .. 2031-03-15
    assert m.coupon_exact(0) == m.face * m.rate * Fraction(1, 2) * (early + 1)


# ---------------------------------------------------------------- random terms


@st.composite
def random_terms(draw):
    """Valid terms of every shape: any frequency and day count; first coupon dates
    across 1996-2140 (2000 leap, 2100 not), half of them month-ends; a short, regular
    or long first period (at most one extra quasi-period, as BondTerms allows); up to
    30 years of coupons; rates of 1 bp to 25% with up to 6 decimals; faces of
    100 .. 1e30 cash units; token decimals 0..18; record days below the first period."""
    frequency = draw(st.sampled_from([1, 2, 4]))
    step = 12 // frequency
    day_count = draw(st.sampled_from(list(DAY_COUNTS)))
    eom = draw(st.booleans())
    year, month = draw(st.integers(1996, 2140)), draw(st.integers(1, 12))
    last = ql.Date.endOfMonth(ql.Date(1, month, year)).dayOfMonth()
    month_end = draw(st.booleans())
    first = ql.Date(last if month_end else min(draw(st.integers(1, 31)), last), month, year)
    eom_applies = eom and ql.Date.isEndOfMonth(first)
    coupons = draw(st.integers(1, 30 * frequency))
    maturity = add_months(first, (coupons - 1) * step, eom_applies)
    regular_start = add_months(first, -step, eom_applies)
    earliest = add_months(regular_start, -step, False)
    shape = draw(st.sampled_from(["short", "regular", "long"]))
    if shape == "regular":
        issue = regular_start
    elif shape == "short":
        issue = first - draw(st.integers(1, first - regular_start - 1))
    else:
        issue = regular_start - draw(st.integers(1, regular_start - earliest))
    record_days = draw(st.integers(0, min(30, first - issue - 1)))
    exponent = draw(st.integers(2, 29))
    face = draw(st.integers(10**exponent, 10 ** (exponent + 1) - 1))
    rate = Decimal(draw(st.integers(100, 250_000))) / 10**6
    t = terms(
        from_ql(issue),
        from_ql(first),
        from_ql(maturity),
        frequency,
        day_count,
        eom,
        record_days=record_days,
        decimals=draw(st.integers(0, 18)),
        face_value=face,
        coupon_rate=rate,
    )
    return t, draw(st.sampled_from([6, 18]))


SEEDS = st.integers(0, 2**32 - 1)
EXAMPLES = settings().max_examples * 10


@settings(max_examples=EXAMPLES)
@given(drawn=random_terms(), seed=SEEDS)
def test_random_terms_match_quantlib(deploy, drawn, seed):
    """For random valid terms: schedule, coupon amounts, accrued interest (at every
    coupon and record date, the days around them and random instants) and record
    bookkeeping equal QuantLib's (see the module docstring for each rule)."""
    t, cash_decimals = drawn
    check_everything(deploy, t, cash_decimals, seed)


def test_ql_timestamps_are_utc_midnights():
    """The model's date conversion: QuantLib serials map to 00:00 UTC unix days."""
    assert ql_timestamp(to_ql(D(1970, 1, 1))) == 0
    assert ql_timestamp(to_ql(D(2032, 2, 29))) == day_timestamp(D(2032, 2, 29))


@pytest.mark.parametrize(
    "issue, first, maturity, eom",
    [
        # Plain: the quasi-coupon period before 2031-03-15 starts 2030-09-15.
        (D(2030, 9, 15), D(2031, 9, 15), D(2033, 9, 15), False),
        # End of month: the reference period starts 2031-02-28, and QuantLib's quasi
        # period before it is plain month arithmetic (2030-08-28, not 08-31).
        (D(2030, 8, 28), D(2031, 8, 31), D(2033, 8, 31), True),
    ],
)
def test_longest_first_period_is_quantlibs_quasi_period(deploy, issue, first, maturity, eom):
    """BondTerms accepts an issue date on QuantLib's notional quasi-coupon date (the
    start QuantLib's ACT/ACT-ICMA splits a long first coupon at, one tenor before the
    reference start) and refuses the day before it."""
    t = terms(issue, first, maturity, 2, "ACT/ACT-ICMA", eom)
    model = QLModel(t)
    ref = model.coupons[0].referencePeriodStart()
    assert from_ql(ref - ql.Period(6, ql.Months)) == issue
    deploy(t)
    too_early = issue - dt.timedelta(days=1)
    # ape leaves a constructor's custom error undecoded (and ape.reverts then matches any
    # error): decode BondInvalidTerms(bytes32 reason, uint256 value) here.
    with pytest.raises(ContractLogicError) as refused:
        deploy(terms(too_early, first, maturity, 2, "ACT/ACT-ICMA", eom))
    data = bytes.fromhex(refused.value.revert_message.removeprefix("0x"))
    assert data[:4] == function_signature_to_4byte_selector("BondInvalidTerms(bytes32,uint256)")
    reason, value = decode(["bytes32", "uint256"], data[4:])
    assert (reason.rstrip(b"\0"), value) == (b"firstPeriodTooLong", day_timestamp(too_early))


# ---------------------------------------------------------------- a floating coupon once fixed

FEED_DECIMALS = 8


def test_fixed_floating_coupon_matches_quantlib(project, issuer, deploy):
    """fixRate takes the reference round in force at the coupon's accrual start (not a
    later one), adds the margin (floored at zero), and the fixed coupon then pays and
    accrues as QuantLib's fixed-rate coupon at that rate; the next, unfixed coupon
    is unknown and accrues nothing."""
    manager = project.SovereignAccessManager.deploy(issuer, sender=issuer)
    feed = project.ReportedPriceFeed.deploy(
        manager, FEED_DECIMALS, "REF", 1_000, DAY, sender=issuer
    )
    today = ape.chain.pending_timestamp // DAY
    issue = dt.date(1970, 1, 1) + dt.timedelta(days=today + 3)
    first = from_ql(add_months(to_ql(issue), 3, False))
    maturity = from_ql(add_months(to_ql(first), 12, False))
    margin = Decimal("0.0175")

    def floating(margin):
        return terms(
            issue,
            first,
            maturity,
            4,
            "ACT/360",
            False,
            coupon_rate=Decimal(0),
            reference_rate=feed.address,
            margin=margin,
            record_days=7,
        )

    series = deploy(floating(margin))
    floored = deploy(floating(Decimal("-0.05")))
    fixing_time = day_timestamp(issue)

    ape.chain.mine(1, timestamp=fixing_time - DAY)
    feed.forceReport(4_250_000, sender=issuer)  # 4.25%, round 1, before the fixing time
    ape.chain.mine(1, timestamp=fixing_time + 3_600)
    feed.forceReport(4_500_000, sender=issuer)  # round 2, after it
    round2_at = feed.getRoundData(2)[3]
    assert round2_at > fixing_time
    with ape.reverts(
        series.BondWrongFixingRound, roundId=2, updatedAt=round2_at, fixingTime=fixing_time
    ):
        series.fixRate(0, 2, sender=issuer)
    # Coupon 1 starts accruing only at `first`: no round can fix it yet.
    with ape.reverts(
        series.BondWrongFixingRound, roundId=2, updatedAt=0, fixingTime=day_timestamp(first)
    ):
        series.fixRate(1, 2, sender=issuer)
    series.fixRate(0, 1, sender=issuer)
    floored.fixRate(0, 1, sender=issuer)

    rate = Decimal("0.0425") + margin
    assert series.couponRate(0) == (rate_wad(rate), True)
    assert series.couponRate(1) == (0, False)
    assert floored.couponRate(0) == (0, True)
    assert floored.couponOn(10**6, 0) == 0

    model = QLModel(
        terms(issue, first, maturity, 4, "ACT/360", False, coupon_rate=rate, record_days=7)
    )
    views = Views(series)
    exact = model.coupon_exact(0)
    assert views.one("couponOn", 10**6, 0) == floor(exact)
    tol = float_tolerance(model.face)
    assert -tol <= Fraction(model.coupon_float(0)) - floor(exact) < 1 + tol
    rng = random.Random(7)
    period0 = [fixing_time + rng.randrange(model.coupon_date(0) - fixing_time) for _ in range(40)]
    period0 += [model.record_date(0), model.record_date(0) - 1, model.coupon_date(0) - 1]
    got = views.many("accruedInterest", [(ts,) for ts in period0])
    assert got == [floor(model.accrued_exact(ts)) for ts in period0]
    period1 = [model.coupon_date(0) + DAY, model.record_date(1) - 1, model.record_date(1)]
    assert views.many("accruedInterest", [(ts,) for ts in period1]) == [0, 0, 0]


# ---------------------------------------------------------------- accrual as a sale charges it


def ceil(amount: Fraction) -> int:
    return -((-amount.numerator) // amount.denominator)


@pytest.mark.parametrize(
    "phase, day_count",
    [
        # Ex-coupon now: the first coupon pays in 5 days, the record date was 5 days ago.
        ("ex-coupon", "ACT/365F"),
        # A long first period, now after its quasi-coupon date: QuantLib splits it there.
        ("long-first-split", "ACT/ACT-ICMA"),
        # Within a regular period, two years into the life.
        ("regular-period", "30/360"),
    ],
)
def test_sale_charges_quantlibs_accrued_rounded_up(
    project, issuer, accounts, deploy, phase, day_count
):
    """buy charges clean price plus accrued interest rounded up (the issuer's favour):
    the Sold event's accrued is ceil(exact) (negative ex-coupon: -floor|exact|), so
    0 <= it - QuantLib < 1 (+ double error), and the cost is ceil(amount * (price +
    accrued) / 10**decimals)."""
    buyer = accounts[16]
    today = dt.date(1970, 1, 1) + dt.timedelta(days=ape.chain.pending_timestamp // DAY)
    first, issue, maturity, record_days = {
        "ex-coupon": (today + dt.timedelta(days=5), None, 6, 10),
        "long-first-split": (today + dt.timedelta(days=100), 250, 24, 15),
        "regular-period": (today - dt.timedelta(days=560), None, 48, 15),
    }[phase]
    first_ql = to_ql(first)
    issue = (
        from_ql(add_months(first_ql, -6, False))
        if issue is None
        else first - dt.timedelta(days=issue)
    )
    t = terms(
        issue,
        first,
        from_ql(add_months(first_ql, maturity, False)),
        2,
        day_count,
        False,
        record_days=record_days,
        decimals=8,
        face_value=1_000 * 10**6 + 37,
        coupon_rate=Decimal("0.087654"),
    )
    model = QLModel(t)
    if phase == "long-first-split":
        ref = model.coupons[0].referencePeriodStart()
        assert to_ql(issue) < ref < ql.Date(today.day, today.month, today.year)
    series = deploy(t)
    price = 985 * 10**6 + 1
    series.openAuction(price, 10**20, sender=issuer)
    cash = project.MockERC20.at(series.cash())
    cash.mint(buyer, 10**30, sender=buyer)
    cash.approve(series, 2**256 - 1, sender=buyer)
    rng = random.Random(zlib.crc32(phase.encode()))
    when = ape.chain.pending_timestamp
    tol = float_tolerance(model.face)
    for _ in range(4):
        when += rng.randrange(3_600, DAY)
        ape.chain.pending_timestamp = when
        amount = rng.randrange(1, 10**12)
        receipt = series.buy(amount, price, sender=buyer)
        assert receipt.timestamp == when
        sold = receipt.events.filter(series.Sold)[0]
        exact = model.accrued_exact(when)
        assert (exact < 0) == (phase == "ex-coupon")
        assert sold.accrued == ceil(exact), (when, exact)
        assert -tol <= sold.accrued - Fraction(model.accrued_float(when)) < 1 + tol
        assert sold.cost == ceil(Fraction(amount * (price + sold.accrued), 10**8))
