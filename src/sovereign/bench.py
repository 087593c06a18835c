"""Gas benchmarks (`make bench`): each operation is its own transaction on Anvil,
measured beside a plain OpenZeppelin 5 ERC-20 compiled with the same settings."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ape import accounts, chain, project
from rich.console import Console
from rich.table import Table

from sovereign.deploy import CollateralSpec, SystemConfig, deploy_system, local_role_holders
from sovereign.permit import sign_permit
from sovereign.units import WAD, text_to_bytes32

TRANSFER_FLOOR = 33_388  # 21,000 + calldata + 2 x (cold SLOAD + SSTORE) + Transfer log
TARGET_TRANSFER_RATIO = 1.25


@dataclass
class Row:
    operation: str
    plain: int | None
    ours: int
    target_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.plain else self.ours / self.plain

    @property
    def ok(self) -> bool | None:
        if self.target_ratio is None or self.ratio is None:
            return None
        return self.ratio <= self.target_ratio


def _erc20_ops(token, alice, bob, carol) -> dict[str, int]:
    """Gas of the ERC-20 operations; alice and bob already hold the token."""
    out = {}
    out["transfer (existing holder)"] = token.transfer(bob, WAD, sender=alice).gas_used
    out["approve (0 -> x)"] = token.approve(carol, 10 * WAD, sender=alice).gas_used
    out["transferFrom (finite allowance)"] = token.transferFrom(
        alice, bob, WAD, sender=carol
    ).gas_used
    deadline = chain.pending_timestamp + 3_600
    v, r, s = sign_permit(token, bob, carol.address, 5 * WAD, deadline)
    out["permit (nonce 0 -> 1)"] = token.permit(
        bob, carol, 5 * WAD, deadline, v, r, s, sender=carol
    ).gas_used
    return out


def run_core_bench() -> list[Row]:
    deployer, holders, others = local_role_holders(accounts.test_accounts)
    alice, bob, carol, exchange = others[:4]

    plain = project.PlainERC20.deploy(sender=deployer)
    plain.transfer(alice, 1_000 * WAD, sender=deployer)
    plain.transfer(bob, 1_000 * WAD, sender=deployer)
    plain_ops = _erc20_ops(plain, alice, bob, carol)

    bond = project.MockERC20.deploy("Bond", "BND", 18, sender=deployer)
    system = deploy_system(
        deployer,
        holders,
        SystemConfig(redemption_desk=False),  # the reserve's own redeem (the desk: benchdesk)
        collateral=[CollateralSpec("BND", bond, heartbeat=86_400, initial_price=Decimal(1))],
    )
    bond.mint(system.reserve, 10_000_000 * WAD, sender=deployer)
    system.cash.mint(system.reserve, 1_000_000 * 10**6, sender=holders.central_bank)
    for who in (exchange, alice, bob):
        system.reserve.registerParticipant(who, text_to_bytes32("LIC"), sender=holders.registrar)
    coin = system.stablecoin
    reserve = system.reserve
    reserve.mint(exchange, 100_000 * WAD, text_to_bytes32("SEED-1"), sender=holders.minter)
    coin.transfer(alice, 1_000 * WAD, sender=exchange)
    coin.transfer(bob, 1_000 * WAD, sender=exchange)
    ours = _erc20_ops(coin, alice, bob, carol)

    rows = [
        Row(
            op,
            plain_ops[op],
            ours[op],
            TARGET_TRANSFER_RATIO if op.startswith("transfer (") else None,
        )
        for op in plain_ops
    ]
    mint_gas = reserve.mint(
        exchange, 1_000 * WAD, text_to_bytes32("BENCH-MINT"), sender=holders.minter
    ).gas_used
    redeem_gas = reserve.redeem(
        1_000 * WAD, text_to_bytes32("BENCH-REDEEM"), sender=exchange
    ).gas_used
    rows.append(Row("reserve mint (1 collateral asset)", None, mint_gas))
    rows.append(Row("reserve redeem", None, redeem_gas))
    return rows


def report(
    rows: list[Row], name: str, console: Console | None = None, extra: dict | None = None
) -> Path:
    console = console or Console()
    table = Table(title=f"Gas: {name} (each operation its own transaction, total gas)")
    for col in ("operation", "plain OZ 5", "ours", "ratio", "target", "ok"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    for row in rows:
        table.add_row(
            row.operation,
            f"{row.plain:,}" if row.plain else "-",
            f"{row.ours:,}",
            f"{row.ratio:.3f}" if row.ratio else "-",
            f"<= {row.target_ratio}" if row.target_ratio else "-",
            {True: "yes", False: "NO", None: "-"}[row.ok],
        )
    console.print(table)
    out = Path("reports") / f"gas-{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "generated": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": platform.machine(),
                "transfer_floor": TRANSFER_FLOOR,
                "rows": [
                    {
                        "operation": r.operation,
                        "plain_oz": r.plain,
                        "ours": r.ours,
                        "ratio": r.ratio,
                        "target_ratio": r.target_ratio,
                        "ok": r.ok,
                    }
                    for r in rows
                ],
                **(extra or {}),
            },
            indent=2,
        )
    )
    console.print(f"written: {out}")
    return out


TARGET_VAULT_RATIO = 1.3
VAULT_LADDER = 10
TOTAL_ASSETS_POINTS = (1, 5, 10, 20, 30, 40, 50)


def _vault_ops(vault, investor) -> dict[str, int]:
    """Gas of the four ERC-4626 entry points; the investor already holds shares."""
    unit = 10**6
    one_share = vault.convertToShares(unit)
    return {
        "deposit (existing holder)": vault.deposit(
            1_000 * unit, investor, sender=investor
        ).gas_used,
        "mint (existing holder)": vault.mint(1_000 * one_share, investor, sender=investor).gas_used,
        "withdraw": vault.withdraw(500 * unit, investor, investor, sender=investor).gas_used,
        "redeem": vault.redeem(500 * one_share, investor, investor, sender=investor).gas_used,
    }


def _view_gas(contract, method: str) -> int:
    """Execution gas of a view (eth_estimateGas minus the 21,000 base)."""
    data = getattr(contract, method).encode_input()
    tx = {"to": str(contract.address), "data": data.hex() if isinstance(data, bytes) else data}
    return chain.provider.web3.eth.estimate_gas(tx) - 21_000


class _FundedVault:
    """A fresh system whose vault holds 10,000,000 cash from one investor."""

    unit = 10**6

    def __init__(self):
        deployer, holders, others = local_role_holders(accounts.test_accounts)
        self.deployer, self.holders, self.investor = deployer, holders, others[0]
        self.system = deploy_system(deployer, holders, SystemConfig())
        self.cash, self.vault = self.system.cash, self.system.vault
        self.cash.mint(self.investor, 100_000_000 * self.unit, sender=holders.central_bank)
        self.vault.setAllowlisted(
            self.investor, True, text_to_bytes32("KYC"), sender=holders.compliance
        )
        self.fund(self.vault)
        self.held = 0

    def fund(self, vault) -> None:
        self.cash.approve(vault, 2**256 - 1, sender=self.investor)
        vault.deposit(10_000_000 * self.unit, self.investor, sender=self.investor)

    def hold(self, count: int) -> None:
        """Buy new series until `count` are held (one lot each, maturities a week apart)."""
        registry, office = self.system.registry, self.holders.debt_office
        while self.held < count:
            now = chain.pending_timestamp
            maturity = now + (30 + 7 * self.held) * 86_400
            receipt = registry.createSeries(
                f"BENCH-{self.held:02d}", 6, self.unit, now, maturity, sender=office
            )
            series = receipt.events.filter(registry.SeriesCreated)[0].series
            registry.openAuction(series, 990_000, 10**15, sender=office)
            self.vault.buy(series, 10_000 * self.unit, 990_000, sender=self.holders.vault_manager)
            self.held += 1


def run_vault_bench() -> tuple[list[Row], list[dict]]:
    bench = _FundedVault()
    plain = project.PlainVault.deploy(bench.cash, sender=bench.deployer)
    bench.fund(plain)
    bench.hold(VAULT_LADDER)
    plain_ops = _vault_ops(plain, bench.investor)
    ours = _vault_ops(bench.vault, bench.investor)
    rows = [Row(op, plain_ops[op], ours[op], TARGET_VAULT_RATIO) for op in plain_ops]

    curve = []
    bench = _FundedVault()  # a fresh vault, so the curve starts at one series
    vault = bench.vault
    for target in TOTAL_ASSETS_POINTS:
        bench.hold(target)
        held = bench.held
        steady = _view_gas(vault, "totalAssets")
        # Worst case: every bill has matured since the last transaction, so the
        # view values each lot at its series (measured in a snapshot).
        snapshot = chain.snapshot()
        chain.mine(1, timestamp=chain.pending_timestamp + 400 * 86_400)
        all_matured = _view_gas(vault, "totalAssets")
        chain.restore(snapshot)
        curve.append(
            {
                "series_held": held,
                "total_assets_gas": steady,
                "total_assets_gas_all_matured_unsynced": all_matured,
            }
        )
    return rows, curve


def report_curve(curve: list[dict], console: Console) -> None:
    table = Table(title="TBillVault.totalAssets() execution gas by series held")
    for col in ("series held", "no maturity since last tx", "all matured, not yet synced"):
        table.add_column(col, justify="right")
    for point in curve:
        table.add_row(
            str(point["series_held"]),
            f"{point['total_assets_gas']:,}",
            f"{point['total_assets_gas_all_matured_unsynced']:,}",
        )
    console.print(table)
