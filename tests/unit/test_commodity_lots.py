"""sovereign.commodities.read_lots: a serial is a lot's identity on-chain (CommodityToken
keys lots by its bytes), so a list may not name one lot twice in another spelling."""

from __future__ import annotations

import pytest

from sovereign.commodities import read_lots
from sovereign.inputs import InputError

HEADER = "serial,custodian,location,grade,quantity\n"


def _lots(tmp_path, *rows):
    path = tmp_path / "lots.csv"
    path.write_text(HEADER + "".join(f"{r},VAULT-CO,LONDON,999.9,400.125\n" for r in rows))
    return path


@pytest.mark.parametrize("serial", ["lgd-0001", "LGD 0001", "Lgd-0001"])
def test_a_serial_not_upper_case_or_with_spaces_is_refused(tmp_path, serial):
    with pytest.raises(InputError, match="must be upper-case without spaces"):
        read_lots(_lots(tmp_path, serial), 3, "SGLD")


def test_the_same_lot_written_with_other_zero_padding_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"row 3: serial LGD-1 is the lot of row 2 \(LGD-0001\)"):
        read_lots(_lots(tmp_path, "LGD-0001", "LGD-1"), 3, "SGLD")


def test_distinct_serials_pass(tmp_path):
    lots = read_lots(_lots(tmp_path, "LGD-0001", "LGD-0002", "KB-RF1-000101"), 3, "SGLD")
    assert [lot.serial for lot in lots.lots] == ["LGD-0001", "LGD-0002", "KB-RF1-000101"]


def test_the_same_serial_twice_is_refused_naming_the_first_row(tmp_path):
    with pytest.raises(InputError, match=r"row 3: serial LGD-0001 is listed already, in row 2"):
        read_lots(_lots(tmp_path, "LGD-0001", "LGD-0001"), 3, "SGLD")


def test_a_quoted_field_spanning_lines_is_refused_not_joined(tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text(HEADER + 'LGD-0001,"VAULT\nCO",LONDON,999.9,400.125\nLGD-0002,V,L,G,1\n')
    with pytest.raises(InputError, match=r"row 2: custodian 'VAULT\\nCO' is not printable"):
        read_lots(path, 3, "SGLD")


def test_rows_are_numbered_by_the_line_they_start_on(tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text(HEADER + "LGD-0001,V,L,G,1\n\nLGD-0001,V,L,G,1\n")
    with pytest.raises(InputError, match=r"row 4: serial LGD-0001 is listed already, in row 2"):
        read_lots(path, 3, "SGLD")
