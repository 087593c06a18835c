"""``ape treasury attest …``: proof-of-reserve statements of a commodity token.

The custodian's lot list (CSV) gives a Merkle root (``root``); each attester signs the
statement of it into one statement file (``sign``); anyone submits it once M of N have
signed (``submit``). ``show`` reads the live statement, ``verify`` proves one lot of a
list against it. The guardian suspends a statement at once (``suspend``); the governor
replaces the attesters through its delay (``attesters``). File formats: see
``sovereign.commodities``.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape.cli.choices import AccountAliasPromptChoice
from rich.table import Table

from sovereign import commodities as domain
from sovereign.attest import AttestationNotSigned, sign, statement
from sovereign.cli.base import ADDRESS, treasury_command
from sovereign.cli.cash import speak_in
from sovereign.cli.params_change import change
from sovereign.inputs import InputError
from sovereign.operations import OperationRefused, Step, signer
from sovereign.sentences._fmt import span

group = click.Group("attest", help="Proof-of-reserve statements of the commodity tokens.")


def register(cli: click.Group) -> None:
    cli.add_command(group)


SYMBOL = click.argument("symbol")
LOTS = click.argument("lots_file", metavar="LOTS.csv", type=click.Path(path_type=Path))


class Token:
    """A commodity token of the deployment, with what commands show it in."""

    def __init__(self, s, symbol: str):
        self.book = domain.commodity_book(s.system)
        self.commodity = domain.find_commodity(s.system, symbol)
        self.contract = self.commodity.token
        self.symbol, self.decimals = symbol, int(self.contract.decimals())
        speak_in(s, symbol, self.decimals)  # revert sentences in the token's unit

    @property
    def address(self) -> str:
        return self.contract.address

    def show(self, units: int) -> str:
        return domain.show_units(units, self.decimals, self.symbol)

    def lots(self, path: Path) -> domain.LotList:
        return domain.read_lots(path, self.decimals, self.symbol)

    def state(self) -> dict:
        from ape import chain

        return domain.attestation_state(self.book, self.contract, chain.blocks.head.timestamp)


def _head() -> int:
    from ape import chain

    return chain.blocks.head.timestamp


# ------------------------------------------------------------------ root, sign, submit


@treasury_command(group, "root", write=False)
@SYMBOL
@LOTS
def root(s, symbol, lots_file):
    """The Merkle root of the lot list LOTS.csv of SYMBOL, its lot count and total
    (exactly, in the token's unit). Every bad row is refused, naming its number."""
    token = Token(s, symbol)
    lots = token.lots(lots_file)
    s.print(f"{lots_file}: {len(lots.lots)} lots, {token.show(lots.total)}")
    s.print(f"root 0x{lots.root.hex()}")
    return {
        "symbol": symbol,
        "root": "0x" + lots.root.hex(),
        "lot_count": len(lots.lots),
        "total_quantity": str(lots.total),
        "total": token.show(lots.total),
        "sha256": lots.sha256,
    }


@treasury_command(group, "sign", write=False)
@SYMBOL
@LOTS
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False),
    help="the statement file to write, or to add this signature to",
)  # fmt: skip
@click.option("--as-of", help="when the list was counted: now (default) or ISO-8601 UTC")
@click.option("--valid-for", help="how long it may be relied on: 30d (default), up to 35d")
@click.option(
    "--account", type=AccountAliasPromptChoice(),
    help="ape account of the attester that signs (an alias, or TEST::n); required",
)  # fmt: skip
def sign_statement(s, symbol, lots_file, out, as_of, valid_for):
    """Sign the statement that the custodians hold the lots of LOTS.csv, as of --as-of,
    for --valid-for, with the next nonce; write it to --out with the signature, or add
    the signature to --out when it holds the same statement (its times are taken from it
    unless given). The signer must be an attester of SYMBOL. Nothing is sent."""
    token = Token(s, symbol)
    lots = token.lots(lots_file)
    registry = token.book.attestations
    state = token.state()
    existing = domain.load_statement_file(out)[0] if out.exists() else None
    now = _head()
    # An option given empty ("") is refused by its parser, never taken as the default.
    if existing is not None and as_of is None:
        when = int(existing["statement"]["as_of"])
    else:
        when = domain.parse_time("now" if as_of is None else as_of, now, "--as-of")
    if existing is not None and valid_for is None:
        until = int(existing["statement"]["expires_at"])
    else:
        length = domain.parse_duration("30d" if valid_for is None else valid_for, "--valid-for")
        if length > domain.MAX_VALIDITY:  # checked before any date is written out
            raise InputError(f"--valid-for {valid_for} is longer than 35 days")
        until = when + length
    st = statement(token.address, list(lots.lots), state["nonce"] + 1, when, until)
    from ape import chain

    fresh = domain.statement_document(
        st, chain_id=chain.chain_id, registry=registry.address, symbol=symbol, lots=lots
    )
    if existing is not None:
        differs = domain.differences(existing, fresh)
        if differs:
            raise InputError(
                f"{out} holds another statement ({', '.join(differs)} differ): sign into a "
                "new file"
            )
        fresh["signatures"] = existing["signatures"]
    if when > now:
        raise InputError(f"--as-of {domain.utc(when)} is later than the chain's time now")
    if state["nonce"] and when <= state["as_of"]:
        raise InputError(
            f"--as-of {domain.utc(when)} is not after the last statement's, "
            f"{domain.utc(state['as_of'])}"
        )
    if until - when > domain.MAX_VALIDITY or until <= now:
        raise InputError(
            f"the statement would expire {domain.utc(until)}: after now, and at most 35 days "
            "after its as-of"
        )
    who = signer(s.account, None, s.manifest)  # --account (the session keeps it)
    if who.address not in state["attesters"]:
        raise InputError(
            f"{who.address} is not an attester of {symbol}; its attesters: "
            f"{', '.join(state['attesters']) or 'none'}"
        )
    try:
        signature = sign(who, registry, st)
    except AttestationNotSigned as err:
        raise OperationRefused(str(err)) from None
    fresh["signatures"][who.address] = signature
    domain.save_statement_file(out, fresh)
    count, needed = len(fresh["signatures"]), state["threshold"]
    s.print(
        f"signed by {who.address}: {len(lots.lots)} lots, {token.show(lots.total)}, nonce "
        f"{st.nonce}, as of {domain.utc(when)}, expires {domain.utc(until)}; {out} has "
        f"{count} of the {needed} signatures needed"
    )
    return {
        "file": str(out),
        "signer": who.address,
        "signatures": count,
        "threshold": needed,
        "statement": fresh["statement"],
    }


@treasury_command(group, "submit", role="commodity-office")
@click.argument("statement_file", metavar="STATEMENT.json", type=click.Path(path_type=Path))
def submit(s, statement_file):
    """Submit the statement of STATEMENT.json with its signatures (sorted by signer
    address, as the registry wants). Anyone may submit; the registry checks that M of
    N attesters signed this very statement."""
    from ape import chain

    doc, st = domain.load_statement_file(statement_file)
    token = Token(s, doc.get("symbol", ""))
    registry = token.book.attestations
    if doc["chain_id"] != chain.chain_id or doc["registry"] != registry.address:
        raise InputError(
            f"{statement_file} is for the registry {doc['registry']} of chain {doc['chain_id']}, "
            f"not this deployment's ({registry.address}, chain {chain.chain_id})"
        )
    if st.asset != token.address:
        raise InputError(f"{statement_file}: its asset {st.asset} is not {token.symbol}")
    ordered = sorted(doc["signatures"].items(), key=lambda kv: int(kv[0], 16))
    needed = int(registry.threshold(token.address))
    if len(ordered) < needed:
        raise OperationRefused(
            f"{statement_file} has {len(ordered)} of the {needed} signatures {token.symbol} "
            "needs: nothing sent"
        )
    step = Step(
        registry,
        "submit",
        (st.as_struct(), [a for a, _ in ordered], [sig for _, sig in ordered]),
        f"submitting {token.symbol} statement {st.nonce}: {st.lot_count} lots, "
        f"{token.show(st.total_quantity)}, as of {domain.utc(st.as_of)}, signed by "
        f"{len(ordered)}",
    )
    return s.op.run([step], s.signer()) | {"symbol": token.symbol, "nonce": st.nonce}


# ------------------------------------------------------------------ show, verify


def _render(state: dict, token: Token, console) -> None:
    table = Table(title=f"{token.symbol} attestation ({token.address})", show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    live = "yes" if state["live"] else f"no ({state['not_live_because']})"
    rows = [("live", live), ("nonce", str(state["nonce"]))]
    if state["nonce"]:
        rows += [
            ("as of", f"{domain.utc(state['as_of'])} ({span(state['age'])} ago)"),
            ("expires", f"{domain.utc(state['expires_at'])} ({span(state['time_left'])} left)"),
            ("lots root", state["lots_root"]),
            ("attested", f"{token.show(state['total_quantity'])} in {state['lot_count']} lots"),
        ]
    rows += [
        ("backing", f"{token.show(state['backing'])} (attested, less deliveries since)"),
        ("attesters", ", ".join(state["attesters"]) or "none"),
        ("threshold", f"{state['threshold']} of {len(state['attesters'])}"),
    ]
    for item, value in rows:
        table.add_row(item, value)
    console.print(table)


@treasury_command(group, "show", write=False)
@SYMBOL
def show(s, symbol):
    """SYMBOL's statement: live or not (none, expired, suspended), as-of and its age,
    expiry and time left, nonce, root, total, the backing (the total less deliveries
    since), the attesters and the threshold."""
    token = Token(s, symbol)
    state = token.state()
    if not s.as_json:
        _render(state, token, s.console)
    return {"symbol": symbol, "token": token.address} | state


@treasury_command(group, "verify", write=False)
@SYMBOL
@LOTS
@click.argument("serial")
def verify(s, symbol, lots_file, serial):
    """Prove that lot SERIAL of LOTS.csv is in SYMBOL's live statement: the lot is in the
    list and the list's root is the live statement's. Prints the lot and its proof; exit 3
    when it is not included."""
    from sovereign.merkle import LOT_TYPES
    from sovereign.merkle import verify as check

    token = Token(s, symbol)
    lots = token.lots(lots_file)
    index = lots.index(serial.strip())
    if index is None:
        raise InputError(f"lot {serial} is not in {lots_file}")
    domain.check_attested(lots, token.book, token.contract, symbol)
    lot = lots.lots[index]
    proof = lots.tree.proof(index)
    if not check(lots.root, LOT_TYPES, lot.values(), proof):  # the tree's own proof
        raise RuntimeError(f"the proof of {lot.serial} does not verify against its own tree")
    where = f"{lot.custodian}, {lot.location}, {lot.grade}, {token.show(lot.quantity)}"
    s.print(
        f"lot {lot.serial} ({where}) is in the live {symbol} statement, "
        f"root 0x{lots.root.hex()}"
    )
    for i, node in enumerate(proof):
        s.print(f"  proof[{i}] 0x{node.hex()}")
    return {
        "symbol": symbol,
        "included": True,
        "lot": {
            "serial": lot.serial, "custodian": lot.custodian, "location": lot.location,
            "grade": lot.grade, "quantity": str(lot.quantity),
        },
        "root": "0x" + lots.root.hex(),
        "proof": ["0x" + p.hex() for p in proof],
    }  # fmt: skip


# ------------------------------------------------------------------ suspend, attesters


@treasury_command(group, "suspend", role="guardian")
@SYMBOL
@click.option("--reason", required=True, help="why, up to 31 ASCII characters (recorded)")
def suspend(s, symbol, reason):
    """Stop relying on SYMBOL's live statement at once, until a newer one is accepted:
    mints stop and the reserve counts the token at zero."""
    from sovereign.units import text_to_bytes32

    token = Token(s, symbol)
    why = domain.check_text(reason, "--reason")
    state = token.state()
    if state["nonce"] == 0 or state["not_live_because"] == "suspended":
        shown = "no statement" if state["nonce"] == 0 else "its statement is suspended already"
        raise OperationRefused(f"{symbol} has {shown}: nothing to suspend")
    return s.op.send(
        token.book.attestations,
        "suspend",
        (token.address, text_to_bytes32(why)),
        s.signer(),
        f"suspending {symbol} statement {state['nonce']} ({why})",
    ) | {"symbol": symbol, "nonce": state["nonce"]}


@treasury_command(group, "attesters", role="governor")
@SYMBOL
@click.argument("addresses", nargs=-1, required=True, type=ADDRESS)
@click.option("--threshold", required=True, type=int, help="how many of them must sign (M)")
def attesters(s, symbol, addresses, threshold):
    """Replace SYMBOL's attesters with ADDRESS... (addresses or labels), THRESHOLD of
    which must sign, through the governor's delay. The live statement is suspended when
    it runs: the new attesters sign the next."""
    token = Token(s, symbol)
    new = [s.address(a, "attester") for a in addresses]
    if len(set(new)) != len(new):
        raise InputError("an attester is named twice")
    if not 1 <= threshold <= len(new) or len(new) > 16:
        raise InputError(
            f"--threshold {threshold} of {len(new)} attesters: 1 to 16 attesters, 1 to all "
            "of them to sign"
        )
    state = token.state()
    current = (state["attesters"], state["threshold"])
    return change(
        s,
        token.book.attestations,
        "setAttesters",
        (token.address, new, threshold),
        param=f"attesters:{symbol}",
        what=f"the {symbol} attesters",
        current=(
            [*current[0], current[1]],
            f"{current[1]} of {', '.join(current[0]) or 'none'}",
        ),
        new=([*new, threshold], f"{threshold} of {', '.join(new)}"),
    )
