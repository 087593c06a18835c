"""Batches of mint and burn instructions from a CSV file: read, preflighted as a whole.

Rows: ``instruction_id,action,recipient,amount`` (``mint`` to a licensed
participant, or ``burn`` of the burner's own coins). Every row is validated before
anything is sent, then checked against the chain (sovereign/batchsync.py: an id
already used counts as done only with the same terms), then the rows still to do
are simulated together: the whole batch must fit the minter's allowance, the room
under the collateral ratio and the burner's balance, and each row must pass. The
simulation's gas sets each transaction's limit for the pipelined sender
(sovereign/pipeline.py).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_hex

from sovereign.inputs import InputError, resolve_address
from sovereign.operations import OperationRefused, Operator, instruction_id
from sovereign.pipeline import Instruction
from sovereign.preflight import Revert, decode_revert, simulate
from sovereign.rpc import Rpc, RpcError, quantity


@dataclass(frozen=True)
class BatchRow:
    line: int
    instruction_id: str
    action: str
    recipient: str | None
    amount: int


BATCH_ACTIONS = ("mint", "burn")
BATCH_HEADER = ["instruction_id", "action", "recipient", "amount"]


def read_batch(path: Path, op: Operator) -> list[BatchRow]:
    """Parse and validate every row before anything is sent; one line per problem."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != BATCH_HEADER:
            raise InputError(f"{path}: the first line must be {','.join(BATCH_HEADER)}")
        rows, seen, problems = [], set(), []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            try:
                if len(cells) != 4:
                    raise InputError(f"expected 4 columns, found {len(cells)}")
                ident, action, recipient, amount = (c.strip() for c in cells)
                if not ident or not all(32 < ord(c) < 127 for c in ident):
                    # As the CLI's --id: no control characters, no spaces (a trailing
                    # NUL would be the same on-chain id as the id without it).
                    raise InputError(
                        f"instruction id {ident!r}: 1 to 32 printable ASCII characters, "
                        "no spaces"
                    )
                key = instruction_id(ident)
                if key in seen:
                    raise InputError(f"instruction id {ident!r} appears twice")
                seen.add(key)
                if action not in BATCH_ACTIONS:
                    raise InputError(f"action {action!r} is not one of {', '.join(BATCH_ACTIONS)}")
                address = None
                if action == "mint":
                    address = resolve_address(recipient, op.labels)
                elif recipient:
                    raise InputError("a burn has no recipient (it burns the treasury's own coins)")
                rows.append(BatchRow(number, ident, action, address, op.coin_amount(amount)))
            except InputError as err:
                problems.append(f"{path}:{number}: {err}")
        if problems:
            raise InputError(
                problems[0]
                if len(problems) == 1
                else f"{len(problems)} bad rows; first: {problems[0]}"
            )
        if not rows:
            raise InputError(f"{path}: no instructions")
        return rows


ACTION_CODES = {"mint": 1, "burn": 2}  # Reserve.ACTION_MINT / ACTION_BURN
_SELECTORS = {
    "mint": function_signature_to_4byte_selector("mint(address,uint256,bytes32)"),
    "burn": function_signature_to_4byte_selector("burn(uint256,bytes32)"),
}
# Calls per simulated block, and simulated blocks per request (eth_simulateV1).
SIM_CALLS_PER_BLOCK, SIM_BLOCKS_PER_REQUEST = 100, 10


def party(row: BatchRow, burner: str) -> str:
    """Whom the instruction's terms name: the recipient of a mint, the burner of a burn."""
    return row.recipient if row.action == "mint" else burner


def row_terms(row: BatchRow, burner: str) -> str:
    """The hash the reserve records for the row (``Reserve.instructionTermsHash``)."""
    packed = encode(
        ["uint8", "address", "uint256"], [ACTION_CODES[row.action], party(row, burner), row.amount]
    )
    return to_hex(keccak(packed))


def calldata(row: BatchRow) -> bytes:
    ident = instruction_id(row.instruction_id)
    if row.action == "mint":
        return _SELECTORS["mint"] + encode(
            ["address", "uint256", "bytes32"], [row.recipient, row.amount, ident]
        )
    return _SELECTORS["burn"] + encode(["uint256", "bytes32"], [row.amount, ident])


def check_totals(todo: list[BatchRow], op: Operator, minter, burner, pending=()) -> None:
    """The batch as a whole fits the minter's allowance, the room under the ratio and
    the burner's balance (each row is simulated on its own state, so these sums are
    what catches rows that pass alone and fail together). ``pending``: rows an earlier
    run sent that still wait in the node's pool; they will take their share first."""
    reserve, coin = op.system.reserve, op.system.stablecoin
    rows = [*todo, *pending]
    mints = sum(r.amount for r in rows if r.action == "mint")
    burns = sum(r.amount for r in rows if r.action == "burn")
    if mints:
        allowance = reserve.minterAllowance(minter.address)
        if mints > allowance:
            raise OperationRefused(
                f"the batch mints {op.describe_coin(mints)}, beyond the minter's allowance "
                f"of {op.describe_coin(allowance)}"
            )
        room = reserve.maxMintable()
        if mints > room:
            raise OperationRefused(
                f"the batch mints {op.describe_coin(mints)}, but only {op.describe_coin(room)} "
                "can be minted before the collateral ratio reaches its minimum"
            )
    if burns and burns > coin.balanceOf(burner.address):
        raise OperationRefused(
            f"the batch burns {op.describe_coin(burns)}, more than the burner holds"
        )


def preflight(
    todo: list[BatchRow],
    op: Operator,
    minter,
    burner,
    rpc: Rpc,
    advance=lambda _: None,
    pending=(),
) -> list[Instruction]:
    """Every row still to do, simulated; returns them ready to send, with gas limits.

    The rows are simulated in order with ``eth_simulateV1`` (each sees the ones before
    it, within a request of 1,000); a node without it estimates each row's gas on
    the current state instead. Either way, the first row that would fail refuses the
    batch, with nothing sent."""
    check_totals(todo, op, minter, burner, pending)
    reserve = str(op.system.reserve.address)
    senders = [minter if r.action == "mint" else burner for r in todo]
    datas = [calldata(r) for r in todo]
    calls = [
        {"from": str(s.address), "to": reserve, "data": to_hex(d)}
        for s, d in zip(senders, datas, strict=True)
    ]
    gas = _simulated_gas(calls, rpc, advance)
    if gas is None:
        gas = _estimated_gas(calls, rpc, advance)
    instructions = []
    for row, sender, data, used in zip(todo, senders, datas, gas, strict=True):
        if isinstance(used, RpcError | Revert):
            reason = (
                op._sentence(used)
                if isinstance(used, Revert)
                else _reason(used, op, row, minter, burner)
            )
            raise OperationRefused(
                f"row {row.line} ({row.instruction_id}) would fail: {reason}; nothing was sent"
            )
        # Headroom over the simulated gas: the refund (the guard's restored slot), the
        # 63/64 kept back at the inner call, a slot found empty that the simulation saw
        # set (22,100 instead of 5,000). Nodes pack blocks by gas limit, so a tight
        # limit is what fills them: a limit twice the use would halve a block's batch.
        limit = used + used // 10 + 10_000
        terms = row_terms(row, burner.address)
        instructions.append(Instruction(row, sender, reserve, data, limit, terms))
    return instructions


def _simulated_gas(calls: list[dict], rpc: Rpc, advance) -> list | None:
    """Gas used by each call, simulated in order; ``None`` when the node cannot."""
    out: list = []
    per_request = SIM_CALLS_PER_BLOCK * SIM_BLOCKS_PER_REQUEST
    for start in range(0, len(calls), per_request):
        chunk = calls[start : start + per_request]
        blocks = [
            {"calls": chunk[i : i + SIM_CALLS_PER_BLOCK]}
            for i in range(0, len(chunk), SIM_CALLS_PER_BLOCK)
        ]
        try:
            answer = rpc.call(
                "eth_simulateV1", [{"blockStateCalls": blocks, "validation": False}, "latest"]
            )
        except Exception:  # noqa: BLE001 - "method not found" is worded per node
            if start == 0:
                return None
            raise
        for block in answer:
            for result in block["calls"]:
                if quantity(result["status"]) == 1:
                    out.append(quantity(result["gasUsed"]))
                else:
                    data = result.get("returnData") or (result.get("error") or {}).get("data")
                    out.append(decode_revert(data or "0x"))
        advance(len(chunk))
    return out


def _estimated_gas(calls: list[dict], rpc: Rpc, advance) -> list:
    out = []
    for start in range(0, len(calls), rpc.batch_limit):
        chunk = calls[start : start + rpc.batch_limit]
        answers = rpc.batch([("eth_estimateGas", [c]) for c in chunk])
        out.extend(a if isinstance(a, RpcError) else quantity(a) for a in answers)
        advance(len(chunk))
    return out


def _reason(error: RpcError, op: Operator, row: BatchRow, minter, burner) -> str:
    """A refused estimate in words: its revert data decoded, or the row simulated again."""
    if error.data:
        return op._sentence(decode_revert(error.data))
    revert = simulate(
        op.system.reserve, row.action, *row_args(row), sender=_sender(row, minter, burner)
    )
    return op._sentence(revert) if revert else error.message


def row_args(row: BatchRow) -> tuple:
    ident = instruction_id(row.instruction_id)
    if row.action == "mint":
        return (row.recipient, row.amount, ident)
    return (row.amount, ident)


def _sender(row: BatchRow, minter, burner):
    return minter if row.action == "mint" else burner


def explain(instruction: Instruction, op: Operator, minter, burner) -> str:
    """Why a mined instruction reverted, in words: the row simulated again on the head."""
    row = instruction.row
    revert = simulate(
        op.system.reserve, row.action, *row_args(row), sender=_sender(row, minter, burner)
    )
    if revert is None:
        return "it reverted when mined, and passes now (out of gas, or a race with another call)"
    return op._sentence(revert)
