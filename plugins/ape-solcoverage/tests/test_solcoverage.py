"""The pieces of ape-solcoverage: pc -> instruction index, source-map decompression,
offset -> line, code matching, pairing trace steps with the call tree, the branch
classifier on a hand-assembled program; one traced run on the chain, of a
hand-assembled contract (nothing of the host project's)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from solcov_helpers import PASSING_RUN, fake_solc_output, write_sources

from ape_solcoverage.analysis import Analysis
from ape_solcoverage.settings import target_filter
from ape_solcoverage.sourcemap import (
    LineIndex,
    SourceMapEntry,
    decompress_source_map,
    instruction_pcs,
    matches_compiled,
    metadata_regions,
    pc_to_index,
    strip_trailing_metadata,
)
from ape_solcoverage.tracer import Tracer, install, uninstall
from ape_solcoverage.traces import Recorder, Unpaired, init_key, pair_frames, runtime_key

# A fake solc metadata block: a2 64 'ipfs' 58 22 <34> 64 'solc' 43 <3> 00 33
CBOR = b"\xa2\x64ipfs\x58\x22" + bytes(range(34)) + b"\x64solc\x43\x00\x08\x1e" + b"\x00\x33"


def test_instruction_index_skips_push_data():
    # PUSH1 80, PUSH0, PUSH32 <32 bytes>, JUMPDEST, PUSH2 <2>, STOP
    code = bytes([0x60, 0x80, 0x5F, 0x7F]) + b"\x5b" * 32 + bytes([0x5B, 0x61, 0x5B, 0x5B, 0x00])
    assert instruction_pcs(code) == [0, 2, 3, 36, 37, 40]
    index = pc_to_index(code)
    assert index[36] == 3 and index[40] == 5
    assert 4 not in index  # inside PUSH32's data, 0x5b there is not a JUMPDEST
    # a truncated PUSH at the end still counts as one instruction
    assert instruction_pcs(bytes([0x00, 0x62, 0x01])) == [0, 1]


def test_source_map_decompression_repeats_missing_fields():
    entries = decompress_source_map("1:2:0:-:0;;3;:9::i;4:5:1:o:1;-1:-1:-1:-")
    assert entries == [
        SourceMapEntry(1, 2, 0, "-", 0),
        SourceMapEntry(1, 2, 0, "-", 0),
        SourceMapEntry(3, 2, 0, "-", 0),
        SourceMapEntry(3, 9, 0, "i", 0),
        SourceMapEntry(4, 5, 1, "o", 1),
        SourceMapEntry(-1, -1, -1, "-", 1),
    ]
    assert decompress_source_map("") == []


def test_offset_to_line_counts_bytes():
    text = "a\nβγ\n\nz".encode()  # β and γ are two bytes each
    lines = LineIndex(text)
    # bytes: a \n β β γ γ \n \n z; a newline belongs to the line it ends
    assert [lines.line(i) for i in (0, 1, 2, 5, 6, 7, 8)] == [1, 1, 2, 2, 2, 3, 4]
    assert lines.line_count == 4


def test_matching_ignores_metadata_and_immutables_only():
    compiled = b"\x60\x80" + b"\x00" * 4 + b"\x56" + CBOR
    regions = metadata_regions(compiled)
    assert regions == [(7, 7 + len(CBOR))]
    assert strip_trailing_metadata(compiled) == compiled[:7]
    masks = regions + [(2, 6)]  # an immutable in bytes 2..5
    other_meta = CBOR[:10] + b"\xff" * 34 + CBOR[44:]
    deployed = b"\x60\x80" + b"\x12\x34\x56\x78" + b"\x56" + other_meta
    assert matches_compiled(deployed, compiled, masks)
    assert not matches_compiled(b"\x60\x81" + deployed[2:], compiled, masks)
    assert not matches_compiled(deployed, compiled, regions)  # immutable not masked
    # init code: compiled creation code followed by constructor arguments
    assert matches_compiled(compiled + b"\x00" * 64, compiled, regions, prefix=True)
    assert not matches_compiled(compiled[:-1], compiled, regions, prefix=True)


def test_code_keys():
    code = "0x6080" + "00" * 10 + CBOR.hex()
    assert runtime_key(code) == runtime_key(code.upper().replace("0X", "0x"))
    assert runtime_key(code).startswith(f"r{len(code) // 2 - 1}:")
    # init code: constructor arguments after the metadata do not change the key
    assert init_key(code) == init_key(code + "ff" * 64)
    assert init_key(code) != init_key("0x6081" + code[6:])


def _steps(*rows):
    return [SimpleNamespace(pc=pc, op=op, depth=depth) for pc, op, depth in rows]


def test_pairing_steps_with_the_call_tree():
    tree = {
        "type": "CALL",
        "to": "0xa",
        "calls": [
            {"type": "STATICCALL", "to": "0x0000000000000000000000000000000000000001"},
            {"type": "DELEGATECALL", "to": "0xb", "calls": []},
        ],
    }
    steps = _steps(
        (0, "PUSH1", 1),
        (2, "JUMPI", 1),
        (9, "STATICCALL", 1),  # precompile: no steps one level down
        (10, "DELEGATECALL", 1),
        (0, "PUSH1", 2),  # the library's code
        (2, "STOP", 2),
        (11, "JUMPI", 1),
        (12, "STOP", 1),
    )
    frames = pair_frames(steps, tree)
    assert [f.node.get("to") for f in frames] == ["0xa", "0xb"]
    assert frames[0].pcs == {0, 2, 9, 10, 11, 12}
    assert frames[0].edges == {(2, 9), (11, 12)}
    assert frames[1].pcs == {0, 2}
    with pytest.raises(Unpaired):  # a CALL step with no call-tree entry left
        pair_frames(_steps((0, "CALL", 1), (0, "STOP", 2)), {"type": "CALL", "calls": []})
    with pytest.raises(Unpaired):  # opcode and call type disagree
        pair_frames(_steps((0, "CALL", 1)), {"type": "CALL", "calls": [{"type": "CREATE"}]})


def test_branch_outcomes_from_jumpi_edges_and_lines(tmp_path):
    write_sources(tmp_path, "contracts/C.sol")
    analysis = Analysis(fake_solc_output("contracts/C.sol"), tmp_path)
    (compiled,) = analysis.compiled
    assert compiled.program.pcs[-1] == 11 and len(compiled.program) == 10
    (branch,) = analysis.files[0].branches
    # the JUMPI at pc 5 falls through into the revert (true) and jumps past it (false)
    assert compiled.deciders == {5: (branch, 0, 1)}
    assert branch.counted

    # x != 0 ran: the JUMPI jumped (5 -> 9), the revert never ran
    analysis.add_hits("k", "runtime", compiled.program.code.hex(), *PASSING_RUN)
    summary = analysis.results()["contracts/C.sol"]
    assert summary["lines"]["total"] == 4  # function line, if, revert, return
    assert summary["lines"]["missed"] == [4]
    assert branch.hit == [False, True]
    assert summary["branches"] == {
        "total": 2,
        "hit": 1,
        "pct": 50.0,
        "missed": [
            {
                "line": 3,
                "column": 9,
                "kind": "if",
                "outcome": "true",
                "code": "x == 0",
            }
        ],
        "not_observable": [],
    }
    # code that is not the compiled contract is not counted
    analysis.add_hits("other", "runtime", "6001", {0}, set())
    assert analysis.unmatched[0]["key"] == "other"


def test_reported_sources_follow_the_target_filter(tmp_path):
    paths = ("contracts/C.sol", "contracts/mocks/M.sol", "lib/L.sol")
    write_sources(tmp_path, *paths)
    output = fake_solc_output(*paths)
    assert sorted(Analysis(output, tmp_path).results()) == ["contracts/C.sol", paths[1]]
    only = target_filter("contracts", ["contracts/mocks"])
    analysis = Analysis(output, tmp_path, only)
    assert sorted(analysis.results()) == ["contracts/C.sol"]
    # excluded sources are still compiled code: running them is matched, not "unmatched"
    analysis.add_hits("m", "runtime", analysis.compiled[1].program.code.hex(), *PASSING_RUN)
    assert not analysis.unmatched and analysis.matched["m"].startswith("contracts/mocks/M.sol")


# A storage cell, assembled by hand (no compiler): set(uint256) stores its argument,
# any call of 4 bytes (get()) returns it. The JUMPI at pc 9 tells the two apart.
RUNTIME = bytes.fromhex(
    "600435"  # 0 PUSH1 4, CALLDATALOAD
    "36602411"  # 3 CALLDATASIZE, PUSH1 0x24, GT: calldata shorter than 36 bytes
    "600d57"  # 7 PUSH1 13, JUMPI
    "5f5500"  # 10 set: PUSH0, SSTORE, STOP
    "5b505f545f5260205ff3"  # 13 get: JUMPDEST, POP, SLOAD(0), MSTORE, RETURN 32 bytes
)
INIT = bytes([0x60, len(RUNTIME), 0x80, 0x60, 0x09, 0x5F, 0x39, 0x5F, 0xF3]) + RUNTIME
CELL_ABI = [
    {
        "type": "function",
        "name": "set",
        "stateMutability": "nonpayable",
        "inputs": [{"name": "value", "type": "uint256"}],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "get",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint256"}],
    },
]


def test_hook_traces_deployments_calls_and_transfers(accounts, chain):
    """Through the installed hook, as the plugin runs: a deployment, contract calls, a
    view call and a plain transfer, each traced (in the background) before the next change."""
    from ape.contracts import ContractContainer
    from ethpm_types import ContractType
    from web3.providers.rpc.rpc import HTTPProvider

    cell_type = ContractType.model_validate(
        {
            "contractName": "SolcoverageCell",
            "abi": CELL_ABI,
            "deploymentBytecode": {"bytecode": "0x" + INIT.hex()},
            "runtimeBytecode": {"bytecode": "0x" + RUNTIME.hex()},
        }
    )
    sender, receiver = accounts[16], accounts[17]
    recorder = Recorder()
    saved = HTTPProvider._make_request  # a coverage run's own hook, put back below
    if getattr(saved, "_tracer", None) is not None:
        saved._tracer.drain()  # its queued traces run before this test changes the chain
    uninstall()
    tracer = Tracer(recorder)
    install(tracer)
    try:
        cell = ContractContainer(cell_type).deploy(sender=sender)
        cell.set(10, sender=sender)
        cell.set(3, sender=sender)
        assert cell.get() == 3
        sender.transfer(receiver, 1)
        tracer.drain()  # the traces run in a background thread
    finally:
        tracer.close()
        uninstall()
        HTTPProvider._make_request = saved
    assert recorder.stats["transactions"] == 4, recorder.stats
    assert recorder.stats["calls"] >= 1 and not recorder.errors
    kinds = sorted(kind for kind, _ in recorder.codes.values())
    assert kinds == ["init", "runtime"]  # the transfer to an account runs no code
    (init,) = [k for k, (kind, _) in recorder.codes.items() if kind == "init"]
    assert recorder.codes[init][1] == INIT.hex() and recorder.pcs[init] == {0, 2, 3, 5, 6, 7, 8}
    (runtime,) = [k for k, (kind, _) in recorder.codes.items() if kind == "runtime"]
    assert recorder.codes[runtime][1] == bytes(chain.provider.get_code(cell.address)).hex()
    assert recorder.codes[runtime][1] == RUNTIME.hex()
    # set ran (fell through the JUMPI at 9), and get (jumped to 13)
    assert recorder.edges[runtime] == {(9, 10), (9, 13)}
    assert {0, 9, 10, 11, 12, 13, 22} <= recorder.pcs[runtime]
    assert json.loads(json.dumps(recorder.to_json()))["pcs"][runtime]  # what a worker writes
