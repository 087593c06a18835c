"""Roles of the system's AccessManager and which functions each may call.

``Role`` mirrors ``contracts/governance/Roles.sol`` (a test checks they agree).
``FUNCTION_ROLES`` is the single source of the permission wiring: the deployer
applies it, the role matrix reads it, the tests walk it.
"""

from __future__ import annotations

from enum import IntEnum


class Role(IntEnum):
    ADMIN = 0
    GOVERNOR = 1
    MINTER = 2
    BURNER = 3
    GUARDIAN = 4
    COMPLIANCE = 5
    ORACLE_REPORTER = 6
    RESERVE_MANAGER = 7
    REGISTRAR = 8
    CENTRAL_BANK = 9
    DEBT_OFFICE = 10
    VAULT_MANAGER = 11
    COMMODITY_OFFICE = 12
    CUSTODIAN = 13
    PROGRAM_ISSUER = 14
    PUBLIC = 2**64 - 1

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


# The roles a deployment assigns to accounts, in RoleHolders order; their labels
# name them in manifests, configuration files and the command line.
# PROGRAM_ISSUER is held by contracts (the debt registries and the commodity tokens),
# never by an account.
CONTRACT_ROLES = (Role.PROGRAM_ISSUER,)
HOLDER_LABELS = tuple(
    r.label for r in Role if r not in (Role.ADMIN, Role.PUBLIC) and r not in CONTRACT_ROLES
)

# Roles held with an execution delay: their calls are scheduled, public and
# cancellable by the guardian before they run. Pausing has no delay.
DELAYED_ROLES = (Role.ADMIN, Role.GOVERNOR)

# contract name (as deployed) -> function name -> role. Functions not listed
# stay with AccessManager's default, the admin role.
FUNCTION_ROLES: dict[str, dict[str, Role]] = {
    "SettlementCash": {
        "mint": Role.CENTRAL_BANK,
        "burn": Role.CENTRAL_BANK,
    },
    "SovereignStablecoin": {
        "freeze": Role.COMPLIANCE,
        "unfreeze": Role.COMPLIANCE,
        "seize": Role.COMPLIANCE,
        "pause": Role.GUARDIAN,
        "unpause": Role.GOVERNOR,
    },
    "ReportedPriceFeed": {
        "report": Role.ORACLE_REPORTER,
        "forceReport": Role.GOVERNOR,
        "setMaxDeviation": Role.GOVERNOR,
        "setDeviationWindow": Role.GOVERNOR,
    },
    "Reserve": {
        "mint": Role.MINTER,
        "burn": Role.BURNER,
        "withdrawCollateral": Role.RESERVE_MANAGER,
        "setCollateral": Role.GOVERNOR,
        "removeCollateral": Role.GOVERNOR,
        "setMinCollateralRatio": Role.GOVERNOR,
        "setRedemptionFee": Role.GOVERNOR,
        "setRedemptionDesk": Role.GOVERNOR,
        "setMinterAllowance": Role.GOVERNOR,
        "registerParticipant": Role.REGISTRAR,
        "removeParticipant": Role.REGISTRAR,
    },
    "TBillRegistry": {
        "createSeries": Role.DEBT_OFFICE,
        "openAuction": Role.DEBT_OFFICE,
        "closeAuction": Role.DEBT_OFFICE,
    },
    # The governor's haircut tiers by remaining maturity take its delay, as its other
    # parameters; the debt office's issuance, auctions and calls take none, as for bills.
    "BondRegistry": {
        "createSeries": Role.DEBT_OFFICE,
        "openAuction": Role.DEBT_OFFICE,
        "closeAuction": Role.DEBT_OFFICE,
        "callBond": Role.DEBT_OFFICE,
        "setMaturityHaircuts": Role.GOVERNOR,
    },
    # Commodities: the office mints against attested lots, the custodian settles
    # deliveries; attesters, ceilings and fees are governance parameters (its delay).
    "CommodityToken": {
        "mint": Role.COMMODITY_OFFICE,
        "acceptDelivery": Role.CUSTODIAN,
        "confirmDelivery": Role.CUSTODIAN,
        "rejectDelivery": Role.CUSTODIAN,
        "setDeliveryFee": Role.GOVERNOR,
        "setCustodianAccount": Role.GOVERNOR,
    },
    "ReserveAttestations": {
        "setAttesters": Role.GOVERNOR,
        "suspend": Role.GUARDIAN,
    },
    "ProgramCeilings": {
        "setCeiling": Role.GOVERNOR,
        "recordIssue": Role.PROGRAM_ISSUER,  # recordRetire: anyone, its own issues only
    },
    # The bank-run brake: its limits and queue rules are governance parameters (the
    # governor's delay); redeem, request, claim and cancel check their callers
    # themselves (participants, owners) and processing is anyone's.
    "RedemptionDesk": {
        "setLimits": Role.GOVERNOR,
        "setQueueRules": Role.GOVERNOR,
    },
    "TBillVault": {
        "buy": Role.VAULT_MANAGER,
        "redeemMatured": Role.VAULT_MANAGER,
        "setMarkdown": Role.ORACLE_REPORTER,
        "setAllowlisted": Role.COMPLIANCE,
        "setDepositCap": Role.GOVERNOR,
        "pause": Role.GUARDIAN,
        "unpause": Role.GOVERNOR,
    },
}

# Functions that stay with the admin role (the AccessManager default), listed so
# that the role matrix shows them too.
ADMIN_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "SovereignStablecoin": ("setReserve",),
    "SovereignAccessManager": (
        "grantRole",
        "revokeRole",
        "setRoleAdmin",
        "setRoleGuardian",
        "setGrantDelay",
        "setTargetAdminDelay",
        "setTargetFunctionRole",
        "setTargetClosed",
        "beginAdminTransfer",
        "cancelAdminTransfer",
    ),
}
