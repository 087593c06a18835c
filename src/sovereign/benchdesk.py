"""Redemption desk benchmarks (`make bench`): the gas of each step of the bank-run brake,
and a simulated run of 1,000 participants against a limited cash inflow.

- gas: an instant redemption (inside the limits), a request (queued), a claim, a
  `process` admitting 100 queued requests and paying their round, and a round alone
  with 1,000 requests in the pool (its cost does not grow with the pool);
- the run: 1,000 licensed participants each ask to redeem 5,000 coins within the same
  hour (5,000,000 of a 10,000,000 supply); the reserve holds 300,000 of cash and the
  central bank brings 150,000 an hour for a day; a keeper processes every hour (the
  day's bucket, 20% of the supply, binds too). The
  paid fraction of every participant is read at the end: under the desk's pro-rata rule
  they are equal, where a first-come queue would have paid the first ones in full and
  the last ones nothing (computed beside it from the same numbers).

The participants are addresses the node impersonates; their set-up transactions
(licence, mint, approval, request) go straight to the node as JSON-RPC calls, without
ape's per-transaction bookkeeping, so that 4,000 of them take seconds. Everything runs
on a fresh deployment and the chain is restored afterwards.
"""

from __future__ import annotations

from decimal import Decimal

from ape import accounts, chain, project
from eth_utils import to_checksum_address
from rich.console import Console
from rich.table import Table

from sovereign.bench import Row, report
from sovereign.deploy import CollateralSpec, SystemConfig, deploy_system, local_role_holders
from sovereign.units import WAD, text_to_bytes32

PARTICIPANTS = 1_000
EACH = 10_000 * WAD  # minted to each participant
ASK = 5_000 * WAD  # each one's request
CASH = 10**6  # one unit of the 6-decimal cash
START_CASH = 300_000
HOURLY_CASH = 150_000
HOURS = 24


def run_desk_bench(console: Console | None = None) -> list[Row]:
    console = console or Console()
    snapshot = chain.snapshot()
    try:
        rows, run = _measure(console)
    finally:
        chain.restore(snapshot)
    report(rows, "desk", console, extra={"run": run})
    _render_run(run, console)
    return rows


def _rpc(method: str, params: list):
    answer = chain.provider.web3.provider.make_request(method, params)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def _send(sender: str, contract, method: str, *args, gas: int = 400_000) -> str:
    data = getattr(contract, method).encode_input(*args)
    tx = {"from": sender, "to": contract.address, "data": "0x" + bytes(data).hex(),
          "gas": hex(gas)}  # fmt: skip
    return _rpc("eth_sendTransaction", [tx])


def _world():
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    bond = project.MockERC20.deploy("Bond", "BND", 18, sender=deployer)
    system = deploy_system(
        deployer, holders, SystemConfig(),
        collateral=[CollateralSpec("BND", bond, heartbeat=7 * 86_400, initial_price=Decimal(1))],
    )  # fmt: skip
    bond.mint(system.reserve, 20_000_000 * WAD, sender=deployer)  # ratio ~196%: full limits
    return system, holders, others


def _participants(system, holders, count: int, tag: str) -> list[str]:
    """``count`` impersonated participants, licensed, funded with EACH, the desk approved."""
    _rpc("anvil_autoImpersonateAccount", [True])
    reserve, coin, desk = system.reserve, system.stablecoin, system.desk
    out = [to_checksum_address(f"0x{0xD00D0000 + i:040x}") for i in range(count)]
    last = None
    for i, who in enumerate(out):
        _rpc("anvil_setBalance", [who, hex(10**20)])
        _send(holders.registrar.address, reserve, "registerParticipant", who,
              text_to_bytes32(f"{tag}-{i}"))  # fmt: skip
        _send(holders.minter.address, reserve, "mint", who, EACH,
              text_to_bytes32(f"{tag}-MINT-{i}"))  # fmt: skip
        last = _send(who, coin, "approve", desk.address, 2**256 - 1)
    _receipt(last)
    return out


def _receipt(tx_hash: str) -> dict:
    """The receipt, waited for: the node mines what was sent in order."""
    import time

    for _ in range(18_000):  # 15 minutes: a loaded tracing Anvil mines slowly
        found = _rpc("eth_getTransactionReceipt", [tx_hash])
        if found is not None:
            if found["status"] != "0x1":
                raise RuntimeError(f"benchmark transaction {tx_hash} reverted")
            return found
        time.sleep(0.05)
    raise RuntimeError(f"benchmark transaction {tx_hash} was not mined in 15 minutes")


def _gas(tx_hash: str) -> int:
    return int(_receipt(tx_hash)["gasUsed"], 16)


def _measure(console: Console) -> tuple[list[Row], dict]:
    system, holders, others = _world()
    desk, cash, reserve = system.desk, system.cash, system.reserve
    bank = holders.central_bank.address
    who = _participants(system, holders, PARTICIPANTS + 1, "P")  # who[0]: the instant one
    run = who[1:]
    cash.mint(reserve, START_CASH * CASH, sender=holders.central_bank)
    before = chain.snapshot()
    # 1. an instant redemption, a first and a later request, 100 queued, processed, a claim
    instant = _gas(_send(who[0], desk, "redeem", 1_000 * WAD, text_to_bytes32("I-1")))
    first = _gas(_send(run[0], desk, "requestRedeem", ASK, text_to_bytes32("R-1")))
    later = _gas(_send(run[1], desk, "requestRedeem", ASK, text_to_bytes32("R-1")))
    for w in run[2:100]:
        last = _send(w, desk, "requestRedeem", ASK, text_to_bytes32("R-1"))
    _receipt(last)
    chain.mine(1, timestamp=chain.blocks.head.timestamp + 3_600)
    process_100 = _gas(_send(bank, desk, "process", 100, gas=8_000_000))
    claim = _gas(_send(run[0], desk, "claim", 1))
    chain.restore(before)
    # 2. the run: every participant asks within the same hour; cash comes in by the hour
    for w in run:
        last = _send(w, desk, "requestRedeem", ASK, text_to_bytes32("R-1"))
    _receipt(last)
    chain.mine(1, timestamp=chain.blocks.head.timestamp + 3_600)
    admit = _gas(_send(bank, desk, "process", PARTICIPANTS, gas=25_000_000))
    round_gas = []
    for _ in range(HOURS):
        chain.mine(1, timestamp=chain.blocks.head.timestamp + 3_600)
        _receipt(_send(bank, cash, "mint", reserve.address, HOURLY_CASH * CASH))
        round_gas.append(_gas(_send(bank, desk, "process", 100, gas=2_000_000)))
    requests = [desk.request(i) for i in range(1, desk.requestCount() + 1)]
    asked = [int(r.amount) for r in requests]
    paid = [int(r.amount) - int(r.unpaid) for r in requests]
    fractions = [Decimal(p) / Decimal(a) for p, a in zip(paid, asked, strict=True)]
    fifo_full = sum(paid) // ASK  # a first-come queue paying the same coins: these in full
    rows = [
        Row("instant redemption (inside the limits)", None, instant),
        Row("request (the first in an empty queue)", None, first),
        Row("request (queued behind others)", None, later),
        Row("claim (one request's cash)", None, claim),
        Row("process: admit 100 queued requests and pay their round", None, process_100),
        Row(f"process: admit {PARTICIPANTS:,} queued requests and pay their round", None, admit),
        Row(
            f"process: one round, {PARTICIPANTS:,} requests in the pool (median)",
            None,
            sorted(round_gas)[len(round_gas) // 2],
        ),  # fmt: skip
    ]
    run_figures = {
        "participants": len(requests),
        "asked_each": str(ASK),
        "cash_in": START_CASH + HOURS * HOURLY_CASH,
        "hours": HOURS,
        "paid_fraction_min": str(min(fractions)),
        "paid_fraction_max": str(max(fractions)),
        "spread": str(max(fractions) - min(fractions)),
        "paid_total_coins": str(sum(paid)),
        "first_come_would_pay_in_full": min(fifo_full, len(requests)),
        "first_come_would_pay_nothing": max(len(requests) - fifo_full - 1, 0),
        "round_gas_min_max": [min(round_gas), max(round_gas)],
    }
    return rows, run_figures


def _render_run(run: dict, console: Console) -> None:
    table = Table(title=f"A simulated run: {run['participants']:,} participants, one day")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("each asks", f"{int(run['asked_each']) // WAD:,} coins (all within one hour)")
    table.add_row("coins paid over the day", f"{int(run['paid_total_coins']) // WAD:,}")
    inflow = f"{run['cash_in']:,} ({START_CASH:,} at the start, {HOURLY_CASH:,} an hour)"
    table.add_row("cash in over the day", inflow)
    table.add_row("paid fraction: lowest", run["paid_fraction_min"][:14])
    table.add_row("paid fraction: highest", run["paid_fraction_max"][:14])
    table.add_row("spread (highest - lowest)", run["spread"])
    table.add_row("a first-come queue instead",
                  f"{run['first_come_would_pay_in_full']:,} paid in full, "
                  f"{run['first_come_would_pay_nothing']:,} nothing")  # fmt: skip
    lo, hi = run["round_gas_min_max"]
    table.add_row(f"gas of a round ({run['participants']:,} in the pool)", f"{lo:,} to {hi:,}")
    console.print(table)
