"""Batch rows as read from the CSV (sovereign/batch.py): ids as the chain sees them."""

from types import SimpleNamespace

import pytest

from sovereign.batch import read_batch
from sovereign.inputs import InputError

TO = "0x2546BcD3c84621e976D8185a91A922aE77ECEc30"
OP = SimpleNamespace(labels={}, coin_amount=lambda text: int(text))


def _csv(tmp_path, *rows):
    path = tmp_path / "b.csv"
    path.write_text("instruction_id,action,recipient,amount\n" + "".join(r + "\n" for r in rows))
    return path


def test_an_id_and_the_same_id_with_a_trailing_nul__refused_as_one_on_chain_id(tmp_path):
    """The reserve's id is the text padded with NULs, so "Z2" and "Z2\\0" are one id."""
    with pytest.raises(InputError, match="printable ASCII"):
        read_batch(_csv(tmp_path, f"Z2,mint,{TO},1", f"Z2\0,mint,{TO},1"), OP)


@pytest.mark.parametrize("ident", ["A\tB", "A\x1bB", "A\x7fB", "ÄB"])
def test_ids_with_control_or_non_ascii_characters__refused(tmp_path, ident):
    with pytest.raises(InputError, match="printable ASCII"):
        read_batch(_csv(tmp_path, f"{ident},mint,{TO},1"), OP)


def test_the_same_id_twice__refused_naming_it(tmp_path):
    with pytest.raises(InputError, match="'Z2' appears twice"):
        read_batch(_csv(tmp_path, f"Z2,mint,{TO},1", f"Z2,mint,{TO},2"), OP)
