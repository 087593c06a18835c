"""The batch journal file (sovereign/journal.py): lines merged per id, torn lines and
repeats counted, rewritten as one line per id, and locked against a second run."""

import json
import multiprocessing

import pytest

from sovereign.journal import Journal, JournalLocked


def _lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_intent_then_receipt__merge_into_one_executed_entry(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("intent", [{"instruction_id": "A", "nonce": 7, "tx": "0x1", "terms": "0xt"}])
    journal.append("receipt", [{"instruction_id": "A", "nonce": 7, "tx": "0x1", "block": 9}])
    journal.close()
    loaded = journal.load()
    assert loaded.entries["A"] == {
        "instruction_id": "A",
        "nonce": 7,
        "tx": "0x1",
        "terms": "0xt",
        "block": 9,
        "result": "executed",
    }
    assert loaded.torn == loaded.merged == 0 and not loaded.compact  # two lines, one id


def test_a_fee_bump__the_last_intent_wins(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append("intent", [{"instruction_id": "A", "nonce": 7, "tx": "0x1", "max_fee": 10}])
    journal.append("intent", [{"instruction_id": "A", "nonce": 7, "tx": "0x2", "max_fee": 12}])
    journal.close()
    entry = journal.load().entries["A"]
    assert (entry["tx"], entry["max_fee"], entry["result"]) == ("0x2", 12, "sent")


def test_torn_line__dropped_and_counted(tmp_path):
    path = tmp_path / "j.jsonl"
    _lines(path, [{"kind": "receipt", "instruction_id": "A", "tx": "0x1"}])
    path.write_text(path.read_text() + '{"kind": "receipt", "instruction_id": "B", "t')
    loaded = Journal(path).load()
    assert list(loaded.entries) == ["A"] and loaded.torn == 1 and not loaded.compact


def test_repeated_receipts_and_stale_intents__never_undo_an_executed_entry(tmp_path):
    path = tmp_path / "j.jsonl"
    receipt = {"kind": "receipt", "instruction_id": "A", "tx": "0x1", "block": 3}
    intent = {"kind": "intent", "instruction_id": "A", "tx": "0x1", "nonce": 1}
    _lines(path, [intent, receipt, receipt, intent])
    loaded = Journal(path).load()
    assert loaded.entries["A"]["result"] == "executed" and loaded.merged == 2


def test_rewrite__one_line_per_id__and_reads_back_the_same(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append("intent", [{"instruction_id": i, "tx": f"0x{i}"} for i in "ABC"])
    journal.append("receipt", [{"instruction_id": "A", "tx": "0xA", "block": 1}])
    journal.close()
    before = journal.load().entries
    journal.rewrite(before)
    assert len(path.read_text().splitlines()) == 3
    again = journal.load()
    assert again.entries == before and again.compact


def test_older_format_lines__read_as_receipts(tmp_path):
    path = tmp_path / "j.jsonl"
    _lines(path, [{"instruction_id": "A", "action": "mint", "tx": "0x1", "result": "executed"}])
    assert Journal(path).load().entries["A"]["result"] == "executed"


def _hold(path, ready, release):
    with Journal(path).locked():
        ready.set()
        release.wait(10)


def test_lock__a_second_holder_is_refused_in_one_line_naming_the_first(tmp_path):
    path = tmp_path / "j.jsonl"
    ready, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(JournalLocked) as refused:
            with Journal(path).locked():
                pass
        message = str(refused.value)
        assert f"pid {holder.pid}" in message and "\n" not in message
    finally:
        release.set()
        holder.join(10)
    with Journal(path).locked():  # released with its process
        pass
