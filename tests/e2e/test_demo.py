"""`make demo`'s script, run as a user runs it: its own embedded Anvil, real output."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_tells_the_story_and_exits_zero():
    ape = Path(sys.executable).with_name("ape")
    out = subprocess.run(
        [str(ape), "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert "Deployed" in text and "Reserve" in text
    assert "refused: minting 6,500,000.00: the collateral ratio would fall to 98.28%" in text
    assert "Collateral ratio" in text and "237.17%" in text
    assert "Role matrix" in text
    # The T-bill chapter: a ladder bought, a bill repaid at face, the ratio moving up.
    assert "SLTB-12M" in text and "redeemed for 1,400,000.00 eSHL" in text
    assert "301.73%" in text and "302.47%" in text
