"""The seven phases of ``deploy.deploy_system``, in the order it runs them.

Every step is a transaction sent through the deploy journal (``deploysteps``) under a
fixed label: the labels and their order are what an interrupted deploy resumes by, so a
phase may gain steps only at a new label, never rename or reorder one.

1. ``deploy_access_manager``: the AccessManager, with the deployer as its temporary admin;
2. ``deploy_cash_and_stablecoin``: settlement cash (unless an existing token is given) and the
   stablecoin;
3. ``deploy_reserve``: the reserve, and the stablecoin's one-time wiring to it;
4. ``deploy_program_ceilings``: the program's ceilings per asset class, which both debt
   registries book their series against; ``deploy_tbill_vault``: the T-bill registry, the
   vault and the feed that prices its shares; then ``deploy_bond_registry``: the coupon-bond
   registry, which accepts only BondSeries' creation code (its hash, from the shipped
   artifacts, is fixed at construction); then, when the configuration names commodities,
   ``deploycommodity.deploy_commodities``;
5. ``deploy_collateral_feeds``: an oracle stub for each collateral asset without a feed;
6. ``set_initial_parameters``: set by the deployer as admin while no function is mapped to
   a role yet (an unmapped function is the admin's), so the deployer never holds an
   operating role, which the AccessManager would refuse to the admin anyway;
7. ``grant_permissions``: every function's role (``roles.FUNCTION_ROLES``), the role labels,
   the holders' grants (the governor's with its execution delay) and the admin
   hand-over: the deployer proposes the governor, who accepts when its key is at hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sovereign import artifacts
from sovereign.deployconfig_commodity import DEBT_CLASSES
from sovereign.deploysteps import DeployJournal
from sovereign.governance import selector
from sovereign.roles import FUNCTION_ROLES, Role
from sovereign.units import text_to_bytes32, wad

if TYPE_CHECKING:
    from sovereign.deploy import CollateralSpec, RoleHolders, System, SystemConfig

# The reserve's heartbeat for vault shares [s]: VaultNavFeed answers with the block's
# own time, so its answer is always fresh.
VAULT_SHARE_HEARTBEAT = 3_600


@dataclass
class Deployment:
    """The deployer and the journal every step of a deployment goes through."""

    deployer: object
    steps: DeployJournal

    def deploy(self, name: str, *args, label: str | None = None):
        """Deploy the shipped contract type ``name``; the step is labelled ``deploy <name>``."""
        return self.steps.run(
            label or f"deploy {name}",
            self.deployer,
            lambda: artifacts.container(name).deploy(*args, sender=self.deployer),
            name,
        )

    def send(self, label: str, call: Callable[[], object], sender=None):
        """Send ``call()`` (a transaction by ``sender``, the deployer by default)."""
        return self.steps.run(label, sender or self.deployer, call, None)


def _address(holder) -> str:
    return getattr(holder, "address", holder)


# ------------------------------------------------------------------ 1-5: the contracts


def deploy_access_manager(run: Deployment):
    """Phase 1: the AccessManager, the deployer its admin until phase 7 hands over."""
    return run.deploy("SovereignAccessManager", run.deployer.address)


def deploy_cash_and_stablecoin(run: Deployment, config: SystemConfig, manager, cash_address):
    """Phase 2: settlement cash (or the existing token at ``cash_address``) and the
    stablecoin, both restricted by ``manager``."""
    if cash_address is None:
        cash = run.deploy(
            "SettlementCash",
            config.cash_name,
            config.cash_symbol,
            config.cash_decimals,
            manager.address,
        )
    else:
        cash = artifacts.at("SettlementCash", cash_address)
    stablecoin = run.deploy(
        "SovereignStablecoin", config.stablecoin_name, config.stablecoin_symbol, manager.address
    )
    return cash, stablecoin


def deploy_reserve(run: Deployment, config: SystemConfig, manager, stablecoin, cash):
    """Phase 3: the reserve, and the stablecoin's one-time wiring to it (``setReserve``:
    from then on supply changes only through the reserve)."""
    reserve = run.deploy(
        "Reserve",
        manager.address,
        stablecoin.address,
        cash.address,
        wad(config.min_collateral_ratio),
    )
    run.send("setReserve", lambda: stablecoin.setReserve(reserve.address, sender=run.deployer))
    return reserve


# The debt registries' asset classes in ProgramCeilings, fixed here: a ceiling is set
# per class by the governor (``SystemConfig.bills_ceiling``, ``bonds_ceiling`` at deploy).
BILLS_CLASS, BONDS_CLASS = DEBT_CLASSES


def deploy_program_ceilings(run: Deployment, manager):
    """Phase 4: the program's ceilings per asset class (bills, bonds, commodities)."""
    return run.deploy("ProgramCeilings", manager.address)


def deploy_tbill_vault(run: Deployment, config: SystemConfig, manager, cash, stablecoin, ceilings):
    """Phase 4: the T-bill registry (proceeds to ``config.treasury``, else the deployer;
    booked in ``ceilings`` under BILLS), the vault over settlement cash and the
    VaultNavFeed that prices its shares."""
    registry = run.deploy(
        "TBillRegistry",
        manager.address,
        cash.address,
        config.treasury or run.deployer.address,
        ceilings.address,
        text_to_bytes32(BILLS_CLASS),
    )
    vault = run.deploy(
        "TBillVault",
        manager.address,
        cash.address,
        registry.address,
        stablecoin.address,
        config.vault_name,
        config.vault_symbol,
    )
    vault_feed = run.deploy("VaultNavFeed", vault.address)
    return registry, vault, vault_feed


def series_code_hash() -> bytes:
    """keccak256 of BondSeries' creation code as shipped: the only code BondRegistry takes."""
    from eth_utils import keccak

    return keccak(series_creation_code())


def series_creation_code() -> bytes:
    """BondSeries' creation code (without constructor arguments), from the shipped types:
    what ``BondRegistry.createSeries`` is given with each series' terms."""
    return bytes(artifacts.contract_type("BondSeries").deployment_bytecode.to_bytes())


def deploy_bond_registry(run: Deployment, config: SystemConfig, manager, cash, ceilings):
    """Phase 4, continued: the bond registry (coupons and principal in settlement cash,
    auction proceeds to ``config.treasury``, else the deployer, as for bills; booked in
    ``ceilings`` under BONDS)."""
    return run.deploy(
        "BondRegistry",
        manager.address,
        cash.address,
        config.treasury or run.deployer.address,
        series_code_hash(),
        ceilings.address,
        text_to_bytes32(BONDS_CLASS),
    )


def deploy_collateral_feeds(
    run: Deployment, system: System, collateral: list[CollateralSpec]
) -> list:
    """Phase 5: each asset's feed: its own, or a new oracle stub (ReportedPriceFeed),
    kept in ``system.feeds`` for the oracle reporter."""
    feeds = []
    for spec in collateral:
        if spec.feed is not None:
            feeds.append(spec.feed)
            continue
        description = f"{spec.symbol} / {system.config.stablecoin_symbol}"
        feed = run.deploy(
            "ReportedPriceFeed",
            system.manager.address,
            spec.feed_decimals,
            description,
            system.config.feed_max_deviation_bps,
            system.config.feed_deviation_window,
            label=f"deploy ReportedPriceFeed {description}",
        )
        system.feeds[spec.symbol] = feed
        feeds.append(feed)
    return feeds


# ------------------------------------------------------------------ 6: parameters


def set_initial_parameters(run: Deployment, system: System, collateral, feeds) -> None:
    """Phase 6: what the deployer sets as admin before any function is mapped to a role:
    the reserve on the vault's allowlist, the vault shares and each asset listed as
    collateral (an oracle stub's first answer forced first), the redemption fee (when
    not zero) and the minter's allowance."""
    config, reserve, vault, deployer = system.config, system.reserve, system.vault, run.deployer
    # The reserve holds vault shares as collateral, so it must pass the vault's KYC.
    run.send(
        "setAllowlisted reserve",
        lambda: vault.setAllowlisted(
            reserve.address, True, b"RESERVE".ljust(32, b"\0"), sender=deployer
        ),
    )
    run.send(
        "setCollateral vault shares",
        lambda: reserve.setCollateral(
            vault.address,
            system.vault_feed.address,
            VAULT_SHARE_HEARTBEAT,
            config.vault_share_haircut_bps,
            config.vault_share_cap_bps,
            sender=deployer,
        ),
    )
    for spec, feed in zip(collateral, feeds, strict=True):
        _initial_price(run, spec, feed)
        asset = spec.asset_for(system.cash)
        run.send(
            f"setCollateral {spec.symbol}",
            lambda a=asset, f=feed, c=spec: reserve.setCollateral(
                _address(a),
                _address(f),
                c.heartbeat,
                c.haircut_bps,
                c.concentration_cap_bps,
                sender=deployer,
            ),
        )
    if config.redemption_fee_bps:
        run.send(
            "setRedemptionFee",
            lambda: reserve.setRedemptionFee(config.redemption_fee_bps, sender=deployer),
        )
    run.send(
        "setMinterAllowance",
        lambda: reserve.setMinterAllowance(
            _address(system.holders.minter), wad(config.minter_allowance), sender=deployer
        ),
    )
    for asset_class, ceiling in (
        (BILLS_CLASS, config.bills_ceiling),
        (BONDS_CLASS, config.bonds_ceiling),
    ):
        run.send(
            f"setCeiling {asset_class}",
            lambda k=asset_class, v=ceiling: system.ceilings.setCeiling(
                text_to_bytes32(k), wad(v), sender=deployer
            ),
        )


def _initial_price(run: Deployment, spec: CollateralSpec, feed) -> None:
    """A new stub's first answer, forced by the deployer as admin (the feed is not wired
    yet, and ReportedPriceFeed.report refuses a first answer: nothing would bound it)."""
    if spec.feed is None and spec.initial_price is not None:
        answer = int(spec.initial_price.scaleb(spec.feed_decimals))
        run.send(
            f"forceReport {spec.symbol}",
            lambda: feed.forceReport(answer, sender=run.deployer),
        )


# ------------------------------------------------------------------ 7: permissions


def grant_permissions(
    run: Deployment, system: System, *, own_cash: bool, accept_admin: bool
) -> None:
    """Phase 7: every function mapped to its role, the roles labelled, each holder granted
    its role (an existing cash token keeps its own central bank: ``own_cash`` False),
    and the admin role proposed to the governor with the admin delay; accepted at once
    with ``accept_admin`` (the governor's key must be at hand)."""
    manager, deployer = system.manager, run.deployer
    contracts = [(system.cash, "SettlementCash")] if own_cash else []
    contracts += [
        (system.stablecoin, "SovereignStablecoin"),
        (system.reserve, "Reserve"),
        (system.ceilings, "ProgramCeilings"),
        (system.registry, "TBillRegistry"),
        (system.vault, "TBillVault"),
    ]
    if system.bond_registry is not None:
        contracts.append((system.bond_registry, "BondRegistry"))
    if system.desk is not None:
        contracts.append((system.desk, "RedemptionDesk"))
    contracts += [(feed, "ReportedPriceFeed") for feed in system.feeds.values()]
    # None of these calls depends on another: they are sent together, pipelined.
    calls = [c for contract, name in contracts for c in wire_functions(manager, contract, name)]
    if system.commodity is not None:
        from sovereign.deploycommodity import commodity_wiring

        calls += commodity_wiring(manager, system.commodity, wire_functions)
    calls += [
        (f"labelRole {role.label}", manager, "labelRole", (int(role), role.label))
        for role in Role
        if role not in (Role.ADMIN, Role.PUBLIC)
    ]
    calls += _role_grants(system, own_cash)
    calls += [
        (
            f"grantRole {Role.PROGRAM_ISSUER.label} {name}",
            manager,
            "grantRole",
            (int(Role.PROGRAM_ISSUER), registry.address, 0),
        )
        for name, registry in (
            ("TBillRegistry", system.registry),
            ("BondRegistry", system.bond_registry),
        )
        if registry is not None
    ]
    run.steps.run_independent(deployer, calls)
    _hand_over_admin(run, system, accept_admin)


def wire_functions(manager, contract, name: str) -> list[tuple]:
    """Each function of ``contract`` mapped to its role (grouped per role: one call each)."""
    by_role: dict[Role, list[bytes]] = {}
    for method, role in FUNCTION_ROLES[name].items():
        by_role.setdefault(role, []).append(selector(contract, method))
    return [
        (
            f"setTargetFunctionRole {name} {role.label}",
            manager,
            "setTargetFunctionRole",
            (contract.address, selectors, int(role)),
        )
        for role, selectors in by_role.items()
    ]


def _role_grants(system: System, own_cash: bool) -> list[tuple]:
    """Each holder's role; the governor's with its execution delay, the others' without."""
    holders: RoleHolders = system.holders
    grants = []
    for role, holder in holders.by_role().items():
        if role is Role.CENTRAL_BANK and not own_cash:
            continue  # an existing cash token has its own central bank
        delay = system.config.governor_delay if role is Role.GOVERNOR else 0
        grants.append(
            (
                f"grantRole {role.label} {_address(holder)}",
                system.manager,
                "grantRole",
                (int(role), _address(holder), delay),
            )
        )
    return grants


def _hand_over_admin(run: Deployment, system: System, accept_admin: bool) -> None:
    """The deployer proposes the governor as admin (with the admin delay); the governor
    accepts when ``accept_admin`` (always on local chains)."""
    manager, governor = system.manager, system.holders.governor
    run.send(
        "beginAdminTransfer",
        lambda: manager.beginAdminTransfer(
            _address(governor), system.config.admin_delay, sender=run.deployer
        ),
    )
    if accept_admin:
        run.send(
            "acceptAdminTransfer",
            lambda: manager.acceptAdminTransfer(sender=governor),
            sender=governor,
        )
