"""One command's session: its output, the manifest and system of the connected
network, the signer, and operator input resolved against the manifest."""

from __future__ import annotations

from functools import cached_property

from rich.console import Console

from sovereign.cli.base import confirm, echo_json
from sovereign.inputs import InputError, parse_amount, resolve_address
from sovereign.operations import Operator, signer
from sovereign.units import format_amount


class Session:
    def __init__(self, *, as_json=False, dry_run=False, yes=False, account=None, role=""):
        from sovereign.status import make_console

        self.as_json, self.dry_run, self.yes = as_json, dry_run, yes
        self.account, self.role = account, role
        # The unit of the price the command reports (a Units.price), when it reports one.
        self.price_unit = None
        # With --json, stdout carries the JSON document alone; the narrative goes to stderr.
        self.console = Console(stderr=True, width=160) if as_json else make_console()

    @cached_property
    def manifest(self) -> dict:
        from sovereign.manifest import load_manifest, manifest_path

        return load_manifest(manifest_path())

    @cached_property
    def system(self):
        from sovereign.manifest import load_system

        return load_system(self.manifest)

    @cached_property
    def op(self) -> Operator:
        from sovereign.cli.words import describe_revert

        return Operator(
            self.system,
            self.manifest,
            self.console,
            dry_run=self.dry_run,
            yes=self.yes,
            confirm=confirm,
            describe=lambda revert: describe_revert(self, revert),
        )

    @property
    def chain_head(self) -> int:
        from ape import chain

        return chain.blocks.head.number

    def signer(self, role_label: str | None = None):
        return signer(self.account, role_label or self.role or None, self.manifest)

    # ------------------------------------------------------------------ input

    def address(self, text: str, what: str) -> str:
        try:
            return resolve_address(text, self.op.labels)
        except InputError as err:
            raise InputError(f"{what}: {err}") from None

    def coin(self, text: str) -> int:
        return parse_amount(text, 18, self.op.coin_symbol)

    @cached_property
    def cash_decimals(self) -> int:
        return int(self.system.cash.decimals())

    @cached_property
    def cash_symbol(self) -> str:
        return str(self.system.cash.symbol())

    def cash(self, text: str, what: str | None = None) -> int:
        return parse_amount(text, self.cash_decimals, what or self.cash_symbol)

    def show_coin(self, units: int) -> str:
        return self.op.describe_coin(units)

    def show_cash(self, units: int) -> str:
        return f"{format_amount(units, self.cash_decimals)} {self.cash_symbol}"

    # ----------------------------------------------------------------- output

    def print(self, *args, **kwargs) -> None:
        self.console.print(*args, **kwargs)

    def finish(self, result) -> None:
        if result is None:
            return
        if self.as_json:
            echo_json(result)
