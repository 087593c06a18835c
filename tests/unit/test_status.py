"""`status` as an operator reads it: what can be minted now, and the minter allowances."""

from sovereign.pauses import Pause
from sovereign.status import read_status


def test_paused_minting__nothing_mintable_now__though_the_ratio_has_room(system, coin, guardian):
    manifest = {"holders": {"minter": system.holders.minter}}
    before = read_status(system, manifest)
    assert before["mintable_now"] == before["max_mintable"] > 0
    coin.pause(int(Pause.MINT), sender=guardian)
    after = read_status(system, manifest)
    assert after["paused"] == ["mint"]
    assert after["max_mintable"] == before["max_mintable"]  # the room is still there
    assert after["mintable_now"] == 0


def test_minter_allowances_are_shown(system, reserve):
    minter = system.holders.minter
    state = read_status(system, {"holders": {"minter": minter}})
    assert state["minter_allowances"] == {minter: int(reserve.minterAllowance(minter))}
    assert state["minter_allowances"][minter] > 0
