"""A CSV batch through a Safe: its rows proposed as MultiSend chunks, one Safe
transaction each, approved on-chain by the proposing owner (sovereign/safeops.py).

``ape treasury batch FILE --safe SAFE --account OWNER`` starts as a batch sent by keys
does (sovereign/batchrun.py): the journal is locked and repaired, and reconciled with
the chain; ids the reserve executed with the row's terms are skipped, other terms are
refused. Then:

- rows already carried by a live proposal of the Safe (read from the proposal store,
  call by call) are not proposed again: they wait for their approvals and execution;
  such a row with other terms is refused. So are the rows of a proposal cancelled after
  it reached its threshold, until its rejection executes (until then it could still
  execute); a proposal cancelled below it, or whose nonce was taken, is proposed again;
- the rest must fit as a whole (allowance, room under the ratio, with the waiting rows
  counted), and are simulated in order from the Safe's address, as its calls will run;
- they are cut into chunks whose ``execTransaction`` stays within ``CHUNK_GAS``: every
  chunk is simulated as one ``execTransaction`` (in sequence, from the proposing owner,
  the Safe's threshold overridden to 1 in the simulation only), the cut is redone with
  the gas measured per row, and a chunk over the budget is split;
- each chunk becomes one proposal, a delegatecall to MultiSendCallOnly at the Safe's next
  free nonce: every row's intent is journaled with the chunk's safeTxHash before the
  proposal is stored, then the proposer's ``approveHash`` is sent.

A chunk executes whole or not at all: MultiSendCallOnly reverts on the first failed
call, and with safeTxGas 0 so does ``execTransaction``. Executed rows are recorded by the
next run of the same command (``journal verify`` lists them until then): ``examine``
reads their Minted events from the block the intents name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ape import chain
from eth_abi import decode
from eth_utils import to_checksum_address, to_hex

from sovereign.batch import _SELECTORS as RESERVE_SELECTORS
from sovereign.batch import BatchRow, check_totals, preflight, row_terms
from sovereign.batchrun import _progress, _repairs
from sovereign.batchsync import _terms_words, examine, refuse_conflicts
from sovereign.journal import Journal
from sovereign.operations import OperationRefused, Operator
from sovereign.pipeline import Instruction
from sovereign.preflight import Revert, decode_revert
from sovereign.rpc import Rpc, quantity
from sovereign.safeops import (
    CALL,
    DELEGATECALL,
    ProposalStore,
    SafeSender,
    SafeState,
    SafeTx,
    multisend_data,
    preapproved_signatures,
    propose,
    safe_at,
)
from sovereign.safestore import ZERO_ADDRESS
from sovereign.safeview import unpack_multisend
from sovereign.units import bytes32_to_text

# A chunk's execTransaction stays within this: half of a 30M block, and under the 2^24
# gas cap on one transaction (EIP-7825) that newer nodes enforce.
CHUNK_GAS = 15_000_000
TX_CAP = 2**24
# First estimate of a chunk, before it is simulated: the transaction's base and the
# Safe's own work (signatures, nonce, events, the delegatecall; 121,744 measured for a
# chunk of mints with one signature), then per row the gas of the row alone less the
# 21,000 a call inside the chunk does not pay, plus MultiSend's unpacking, its CALL and
# the row's 185 bytes of calldata. Rows inside one transaction find the reserve's slots
# and the price feeds warm (a mint: 50,827 gas in a chunk, 132,045 alone), so this
# overestimates until the chunks are simulated.
CHUNK_BASE_GAS = 120_000
ROW_OVERHEAD_GAS = 6_000
# The simulation checks one signature; the execution checks one per owner of the
# threshold: each further one cost 8,371 gas (approvedHashes and owners reads).
EXTRA_SIGNATURE_GAS = 10_000
RECUTS = 3  # cuts after the first, each from the gas the one before it measured
THRESHOLD_SLOT = 4  # Safe 1.4.1: singleton, modules, owners, ownerCount, threshold


@dataclass
class SafeSettings:
    journal: Path
    source: str  # the CSV file's name, for the proposals' descriptions
    chunk_gas: int = CHUNK_GAS
    dry_run: bool = False
    yes: bool = False


@dataclass
class Chunk:
    instructions: list[Instruction]
    estimate: int
    gas: int | None = None  # simulated as one execTransaction (None: the node cannot)

    @property
    def rows(self) -> list[BatchRow]:
        return [i.row for i in self.instructions]


@dataclass(frozen=True)
class Queued:
    """An instruction a proposal of the Safe that can still execute carries."""

    safe_tx_hash: str
    nonce: int
    row: BatchRow  # as the proposal's call has it (line 0)
    cancelled: bool = False  # cancelled, but approved to the threshold: it can still execute


# ------------------------------------------------------------------ the run


def run_safe_batch(
    rows: list[BatchRow], op: Operator, safe: SafeSender, settings: SafeSettings, confirm
) -> dict:
    """Propose the batch's rows still to do as MultiSend chunks; returns the summary."""
    rpc = Rpc(chain.provider)
    journal = Journal(settings.journal)
    say = op.console.print
    multisend = safe.multisend
    if not multisend:
        raise OperationRefused(
            "a batch through a Safe needs MultiSendCallOnly, and the manifest records none "
            "(deploy with --safe-owners); nothing was proposed"
        )
    refuse_other_roles(rows, op, safe)
    with journal.locked():
        loaded = journal.load()
        found = examine(loaded.entries, rows, op, rpc, safe.address)
        refuse_conflicts(found, rows, op, safe.address)
        if found.pooled:
            raise OperationRefused(
                f"{len(found.pooled)} transaction(s) of an earlier run without --safe are still "
                "in the node's pool: let that run finish first (the same command without "
                "--safe); nothing was proposed"
            )
        if not settings.dry_run and (not loaded.compact or found.entries != loaded.entries):
            journal.rewrite(found.entries)
        for note in _repairs(loaded, found):
            say(f"journal: {note}")
        state = SafeState.read(safe.address)
        store = ProposalStore.beside_manifest()
        queue = queued(store, state, str(op.system.reserve.address), multisend)
        waiting = waiting_rows(rows, found.done, queue, op, safe.address)
        todo = [r for r in rows if r.instruction_id not in found.done | set(waiting)]
        again = _proposed_before(found.entries, todo)
        if again:
            say(
                f"journal: {again} row(s) of an earlier proposal no longer live (cancelled, "
                "or its nonce taken by another) are proposed again"
            )
        done = len(rows) - len(todo) - len(waiting)
        summary = {
            "rows": len(rows),
            "already_executed": done,
            "skipped": done,
            "recovered": found.recovered,
            "rolled_back": found.rolled_back,
            "waiting": len(waiting),
            "waiting_proposals": sorted(set(waiting.values())),
        }
        if waiting:
            say(_waiting_line(waiting, queue))
        if not todo:
            say(
                f"validated {len(rows)} rows; {done} already executed on-chain; "
                f"{len(waiting)} waiting: nothing to propose"
            )
            status = "waiting" if waiting else "done"
            return summary | {"status": status, "proposed": 0, "chunks": []}
        # The rows waiting will take the allowance and the room under the ratio too.
        check_totals([r for r in rows if r.instruction_id in waiting] + todo, op, safe, safe)
        with _progress(op) as progress:
            task = progress.add_task("preflight (from the Safe)", total=len(todo))
            instructions = preflight(todo, op, safe, safe, rpc, lambda n: progress.advance(task, n))
        chunks = cut_to_fit(instructions, safe, multisend, settings.chunk_gas, rpc, op)
        say(
            f"validated {len(rows)} rows; {done} already executed on-chain; {len(waiting)} "
            f"waiting in proposals; {len(todo)} simulate cleanly from the Safe, in "
            f"{len(chunks)} chunk(s): " + ", ".join(_chunk_words(c) for c in chunks)
        )
        summary["chunks"] = [chunk_facts(c, k, len(chunks)) for k, c in enumerate(chunks, 1)]
        if settings.dry_run:
            say("dry run: nothing proposed")
            return summary | {"status": "dry-run", "proposed": 0}
        prompt = (
            f"Propose {len(todo)} instructions as {len(chunks)} transaction(s) of the Safe "
            f"{safe.address}, approved by {safe.owner.address}?"
        )
        if not settings.yes and not confirm(prompt):
            raise OperationRefused("not confirmed; nothing proposed")
        quiet = replace(op, yes=True)  # confirmed once for every chunk
        for k, chunk in enumerate(chunks, 1):
            facts = summary["chunks"][k - 1]
            out = _propose_chunk(quiet, safe, chunk, k, len(chunks), settings, journal)
            facts.update(
                safe_tx_hash=out["safe_tx_hash"],
                nonce=out["nonce"],
                approve_gas=out["transactions"][0]["gas"],
            )
        hashes = [c["safe_tx_hash"] for c in summary["chunks"]]
        say(
            f"proposed {len(todo)} instructions in {len(chunks)} Safe transaction(s) "
            f"({', '.join(hashes)}), each approved by {safe.owner.address}: another owner "
            "approves each (ape treasury safe approve HASH --account OWNER), anyone executes "
            "it (ape treasury safe execute HASH --account ANY); then run this command again "
            "to record the executed rows"
        )
        return summary | {"status": "proposed", "proposed": len(todo)}


def _propose_chunk(op, safe, chunk: Chunk, k: int, n: int, settings, journal) -> dict:
    rows = chunk.rows
    data = multisend_data([(i.to, i.data) for i in chunk.instructions], safe.multisend)
    tx = SafeTx(safe.address, safe.multisend, 0, data, DELEGATECALL, 0)
    description = f"batch {settings.source}, chunk {k} of {n}: {_chunk_words(chunk)}"
    head = chain.blocks.head.number

    def intents(fixed: SafeTx, safe_tx_hash: str) -> None:
        journal.append(
            "intent",
            [
                {
                    "instruction_id": i.row.instruction_id,
                    "action": i.row.action,
                    "terms": i.terms,
                    "safe": safe.address,
                    "safe_tx": safe_tx_hash,
                    "safe_nonce": fixed.nonce,
                    "chunk": k,
                    "chunks": n,
                    "proposer": safe.owner.address,
                    "since_block": head,
                }
                for i in chunk.instructions
            ],
        )

    out = propose(op, safe, tx, description, before_store=intents)
    op.console.print(
        f"chunk {k} of {n}: {len(rows)} rows ({rows[0].instruction_id} … "
        f"{rows[-1].instruction_id}) in Safe transaction {out['safe_tx_hash']}"
    )
    return out


def _proposed_before(entries: dict, todo: list[BatchRow]) -> int:
    return sum(1 for r in todo if entries.get(r.instruction_id, {}).get("safe_tx"))


def _waiting_line(waiting: dict[str, str], queue: dict[str, Queued]) -> str:
    """Which rows wait, in which proposals, and what the owners do next."""
    cancelled = sorted({h for i, h in waiting.items() if queue[i].cancelled})
    hashes = sorted(set(waiting.values()) - set(cancelled))
    lines = []
    if hashes:
        n, k = sum(1 for h in waiting.values() if h in hashes), len(hashes)
        lines.append(
            f"{n} row{'s wait' if n > 1 else ' waits'} in {k} proposal{'s' if k > 1 else ''}: "
            f"approve and execute {'them' if k > 1 else 'it'} ({', '.join(hashes)}; see ape "
            "treasury safe pending)"
        )
    if cancelled:
        n = sum(1 for h in waiting.values() if h in cancelled)
        lines.append(
            f"{n} row(s) are in cancelled proposal(s) approved to the threshold, which can "
            f"still execute until their rejection does ({', '.join(cancelled)}): approve and "
            "execute the rejection, then run this command again"
        )
    return "; ".join(lines)


# ------------------------------------------------------------------ roles


def refuse_other_roles(rows: list[BatchRow], op: Operator, safe: SafeSender) -> None:
    """Every row runs as the Safe: the Safe must hold the role of each action in the
    batch, without a delay. A burn batch through a Safe burns the Safe's own coins."""
    from sovereign.governance import permission

    reserve = op.system.reserve
    for action, role in (("mint", "minter"), ("burn", "burner")):
        row = next((r for r in rows if r.action == action), None)
        if row is None:
            continue
        perm = permission(op.system.manager, safe.address, reserve, action)
        if perm.immediate:
            continue
        where = f"row {row.line} ({row.instruction_id}) is a {action}"
        if perm.delay:
            raise OperationRefused(
                f"{where}, and the Safe {safe.address} holds the {role} role with an "
                f"execution delay of {perm.delay:,} s: a batch is not scheduled; nothing "
                "was proposed"
            )
        holder = op.manifest.get("holders", {}).get(role)
        held = f"held by {holder}, not by" if holder else "not held by"
        raise OperationRefused(
            f"{where}, and the {role} role is {held} the Safe {safe.address}: a batch "
            f"through a Safe runs only the roles the Safe holds; put the {action}s in a "
            "batch of their own, run by their holder; nothing was proposed"
        )


# ------------------------------------------------------------------ proposals waiting


def queued(store: ProposalStore, state: SafeState, reserve: str, multisend: str) -> dict:
    """Every instruction (by id) a proposal of the Safe that can still execute carries: a
    call of ``Reserve.mint`` or ``Reserve.burn``, alone or inside a MultiSend. That is a
    live proposal, or a cancelled one approved to the threshold whose nonce has not moved
    on (its rejection not executed yet: another tool holding its call could execute it)."""
    out: dict[str, Queued] = {}
    for p in store.all(state.address):
        if p.rejects or p.executed_tx or p.tx.nonce < state.nonce:
            continue
        cancelled = p.cancelled is not None
        if cancelled and len(state.approvals(p.hash)) < state.threshold:
            continue
        data = bytes.fromhex(p.tx.data[2:])
        if p.tx.operation == DELEGATECALL and p.tx.to == multisend:
            pairs = unpack_multisend(data)
        elif p.tx.operation == CALL:
            pairs = [(to_checksum_address(p.tx.to), data)]
        else:
            continue
        for target, calldata in pairs:
            row = instruction_of(calldata, state.address) if target == reserve else None
            if row is not None:
                out[row.instruction_id] = Queued(p.hash, p.tx.nonce, row, cancelled)
    return out


def instruction_of(calldata: bytes, safe: str) -> BatchRow | None:
    """The instruction a reserve call carries (``mint``/``burn`` with its id), else None."""
    selector, args = bytes(calldata[:4]), bytes(calldata[4:])
    if selector == RESERVE_SELECTORS["mint"]:
        to, amount, ident = decode(["address", "uint256", "bytes32"], args)
        return BatchRow(0, bytes32_to_text(ident), "mint", to_checksum_address(to), int(amount))
    if selector == RESERVE_SELECTORS["burn"]:
        amount, ident = decode(["uint256", "bytes32"], args)
        return BatchRow(0, bytes32_to_text(ident), "burn", None, int(amount))
    return None


def waiting_rows(
    rows: list[BatchRow], done: set[str], queue: dict[str, Queued], op: Operator, safe: str
) -> dict[str, str]:
    """Rows not executed whose id a queued proposal carries (id -> safeTxHash); refused, as
    an id executed with other terms is, when the proposal carries other terms."""
    waiting, lines = {}, []
    for row in rows:
        held = queue.get(row.instruction_id)
        if held is None or row.instruction_id in done:
            continue
        if row_terms(held.row, safe) == row_terms(row, safe):
            waiting[row.instruction_id] = held.safe_tx_hash
            continue
        lines.append(
            f"row {row.line} ({row.instruction_id}): the id waits in the Safe proposal "
            f"{held.safe_tx_hash} (nonce {held.nonce}) for "
            f"{_terms_words(held.row.action, held.row.recipient or safe, held.row.amount, op)}"
            f"; this row asks {_terms_words(row.action, row.recipient or safe, row.amount, op)}"
        )
    if lines:
        head = lines[0] if len(lines) == 1 else f"{len(lines)} rows differ; first: {lines[0]}"
        raise OperationRefused(
            f"{head}; cancel that proposal (ape treasury safe cancel) or correct the row: "
            "nothing was proposed"
        )
    return waiting


# ------------------------------------------------------------------ chunks


def cut_to_fit(
    instructions: list[Instruction], safe: SafeSender, multisend: str, budget: int, rpc, op
) -> list[Chunk]:
    """Chunks whose execTransaction stays within ``budget`` gas, as simulated.

    A first cut uses each row's gas alone (an overestimate: inside one transaction the
    reserve's slots are warm); every chunk is then simulated as one execTransaction, and
    the rows are cut again (up to ``RECUTS`` times) with the estimates scaled to the gas
    measured, each cut simulated; any chunk still over the budget is split in two until
    every one fits."""
    estimates = [i.gas - 21_000 + ROW_OVERHEAD_GAS for i in instructions]
    chunks = cut(instructions, estimates, budget)
    if not simulate(chunks, safe, multisend, rpc, op):
        return chunks  # the node cannot simulate a chunk: the estimates stand
    for _ in range(RECUTS):
        ratio = max((c.gas - CHUNK_BASE_GAS) / (c.estimate - CHUNK_BASE_GAS) for c in chunks)
        if ratio >= 0.9:
            break
        # The measure leaves room: cut again with the estimates scaled to it (5% margin).
        estimates = [int(e * ratio * 1.05) for e in estimates]
        recut = cut(instructions, estimates, budget)
        if len(recut) >= len(chunks) or not simulate(recut, safe, multisend, rpc, op):
            break
        chunks = recut
    while any(c.gas > budget for c in chunks):
        chunks = [half for c in chunks for half in (_halves(c) if c.gas > budget else [c])]
        if not simulate(chunks, safe, multisend, rpc, op):
            break
    return chunks


def cut(instructions: list[Instruction], estimates: list[int], budget: int) -> list[Chunk]:
    chunks, current, used = [], [], CHUNK_BASE_GAS
    for instruction, gas in zip(instructions, estimates, strict=True):
        if current and used + gas > budget:
            chunks.append(Chunk(current, used))
            current, used = [], CHUNK_BASE_GAS
        current.append(instruction)
        used += gas
    chunks.append(Chunk(current, used))
    return chunks


def _halves(chunk: Chunk) -> list[Chunk]:
    if len(chunk.instructions) == 1:
        row = chunk.rows[0]
        raise OperationRefused(
            f"row {row.line} ({row.instruction_id}) alone needs {chunk.gas:,} gas through the "
            "Safe, over the chunk budget; nothing was proposed"
        )
    middle = len(chunk.instructions) // 2
    share = (chunk.estimate - CHUNK_BASE_GAS) // 2 + CHUNK_BASE_GAS
    return [Chunk(chunk.instructions[:middle], share), Chunk(chunk.instructions[middle:], share)]


def simulate(chunks: list[Chunk], safe: SafeSender, multisend: str, rpc, op) -> bool:
    """Each chunk's gas as one execTransaction, in sequence (``eth_simulateV1``), set on
    the chunks; False when the node cannot simulate this. For the simulation only, the
    Safe's threshold is 1 and the proposing owner sends it with its own v=1 signature,
    so no approval is needed; the real execution checks one more signature per owner
    beyond the first, counted as ``EXTRA_SIGNATURE_GAS`` each."""
    threshold = int(rpc.call("eth_getStorageAt", [safe.address, hex(THRESHOLD_SLOT), "latest"]), 16)
    if threshold != int(safe_at(safe.address).getThreshold()):
        return False  # not the storage layout of Safe 1.4.1
    owner = safe.owner.address
    signature = preapproved_signatures([owner])
    exec_tx = safe_at(safe.address).execTransaction
    blocks = []
    for chunk in chunks:
        data = multisend_data([(i.to, i.data) for i in chunk.instructions], multisend)
        call = exec_tx.encode_input(
            multisend,
            0,
            bytes.fromhex(data[2:]),
            DELEGATECALL,
            0,
            0,
            0,
            ZERO_ADDRESS,
            ZERO_ADDRESS,
            signature,
        )
        tx = {"from": owner, "to": safe.address, "data": to_hex(call), "gas": hex(TX_CAP)}
        blocks.append({"calls": [tx]})
    word = "0x" + "1".rjust(64, "0")
    blocks[0]["stateOverrides"] = {
        safe.address: {"stateDiff": {"0x" + hex(THRESHOLD_SLOT)[2:].rjust(64, "0"): word}}
    }
    try:
        answer = rpc.call(
            "eth_simulateV1", [{"blockStateCalls": blocks, "validation": False}, "latest"]
        )
    except Exception:  # noqa: BLE001 - "method not found" is worded per node
        return False
    signatures = (threshold - 1) * EXTRA_SIGNATURE_GAS
    for k, (chunk, block) in enumerate(zip(chunks, answer, strict=True), 1):
        result = block["calls"][0]
        used = quantity(result["gasUsed"])
        chunk.gas = used + signatures
        if quantity(result["status"]) == 1 or used >= TX_CAP * 63 // 64:
            continue  # a chunk out of gas is over the budget: it is split
        data = result.get("returnData") or (result.get("error") or {}).get("data") or "0x"
        revert = decode_revert(data)
        raise OperationRefused(
            f"chunk {k} ({len(chunk.rows)} rows from {chunk.rows[0].instruction_id}) would "
            f"fail as one Safe transaction: {_said(revert, op)}; nothing was proposed"
        )
    return True


def _said(revert: Revert, op: Operator) -> str:
    if revert.name == "Error" and str(revert.inputs.get("reason", "")).startswith("GS"):
        return f"the Safe refuses it ({revert.inputs['reason']})"
    return op._sentence(revert)


# ------------------------------------------------------------------ words and facts


def _chunk_words(chunk: Chunk) -> str:
    rows = chunk.rows
    mints = [r for r in rows if r.action == "mint"]
    burns = [r for r in rows if r.action == "burn"]
    parts = []
    if mints:
        parts.append(f"{len(mints)} mint{'s' if len(mints) > 1 else ''}")
    if burns:
        parts.append(f"{len(burns)} burn{'s' if len(burns) > 1 else ''}")
    gas = f"{chunk.gas:,} gas" if chunk.gas is not None else f"~{chunk.estimate:,} gas (estimate)"
    return f"{' and '.join(parts)} ({rows[0].instruction_id} … {rows[-1].instruction_id}, {gas})"


def chunk_facts(chunk: Chunk, k: int, n: int) -> dict:
    rows = chunk.rows
    alone = sum(gas_alone(i.gas) for i in chunk.instructions)
    return {
        "chunk": k,
        "chunks": n,
        "rows": len(rows),
        "first": rows[0].instruction_id,
        "last": rows[-1].instruction_id,
        "mint_total": sum(r.amount for r in rows if r.action == "mint"),
        "burn_total": sum(r.amount for r in rows if r.action == "burn"),
        "gas": chunk.gas,
        "estimate": chunk.estimate,
        "gas_per_row": None if chunk.gas is None else round(chunk.gas / len(rows)),
        "gas_alone_per_row": round(alone / len(rows)),
    }


def gas_alone(limit: int) -> int:
    """A row's simulated gas as its own transaction (a direct ``Reserve.mint``), from the
    limit ``sovereign.batch.preflight`` set: used + used // 10 + 10,000."""
    used = (limit - 10_000) * 10 // 11
    while used + used // 10 < limit - 10_000:
        used += 1
    while used + used // 10 > limit - 10_000:
        used -= 1
    return used
