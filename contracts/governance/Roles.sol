// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Roles
/// @notice The role identifiers of the system's AccessManager, in one place.
/// @dev `ADMIN_ROLE` (0) and `PUBLIC_ROLE` (2**64-1) are OpenZeppelin's. The Python
/// mirror is `sovereign.roles.Role`; a test checks that both agree.
library Roles {
    /// @dev Protocol parameters (ratio, haircuts, fees, feeds) and unpausing. Held with an execution delay.
    uint64 internal constant GOVERNOR = 1;
    /// @dev Mints stablecoin through the reserve, within a per-minter allowance.
    uint64 internal constant MINTER = 2;
    /// @dev Burns stablecoin the treasury holds, through the reserve.
    uint64 internal constant BURNER = 3;
    /// @dev Pauses (never unpauses). No delay: an emergency brake.
    uint64 internal constant GUARDIAN = 4;
    /// @dev Freezes, unfreezes and seizes balances with a case reference.
    uint64 internal constant COMPLIANCE = 5;
    /// @dev Writes prices to the oracle stub's feeds.
    uint64 internal constant ORACLE_REPORTER = 6;
    /// @dev Moves collateral out of the reserve (only while the ratio holds).
    uint64 internal constant RESERVE_MANAGER = 7;
    /// @dev Licenses and de-lists authorized participants (AML-registered VASPs).
    uint64 internal constant REGISTRAR = 8;
    /// @dev Issues and retires settlement cash (the CBDC stand-in).
    uint64 internal constant CENTRAL_BANK = 9;
    /// @dev The debt-management office: creates T-bill series and runs their auctions.
    uint64 internal constant DEBT_OFFICE = 10;
    /// @dev Buys T-bills for the vault and redeems matured ones.
    uint64 internal constant VAULT_MANAGER = 11;
    /// @dev Mints commodity tokens against attested lots.
    uint64 internal constant COMMODITY_OFFICE = 12;
    /// @dev A commodity custodian: confirms or rejects deliveries in kind.
    uint64 internal constant CUSTODIAN = 13;
    /// @dev Held by issuing contracts (the commodity tokens), never by a person:
    /// records issues and retirements against the program ceilings.
    uint64 internal constant PROGRAM_ISSUER = 14;
    /// @dev The last role: the operating roles are MINTER to LAST.
    uint64 internal constant LAST = PROGRAM_ISSUER;
}
