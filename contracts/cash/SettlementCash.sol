// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title SettlementCash
/// @notice Stand-in for the central bank digital currency: the cash leg of mints,
/// redemptions and T-bill purchases. A real deployment passes an existing token's
/// address to the reserve and the vault instead of deploying this one.
/// @dev Minting and burning are `restricted`: the AccessManager maps them to the
/// central-bank role. Decimals are a constructor argument because CBDC pilots use
/// 2 or 6 decimals while most ERC-20s use 18; every consumer reads `decimals()`.
contract SettlementCash is ERC20, ERC20Permit, AccessManaged {
    /// @dev Raised for an amount of zero, which never makes sense for issuance.
    error SettlementCashZeroAmount();
    /// @dev Raised when the decimals asked for are above 18.
    error SettlementCashInvalidDecimals(uint8 decimals);

    /// @notice Emitted when the central bank issues cash.
    event CashIssued(address indexed to, uint256 amount);
    /// @notice Emitted when the central bank withdraws cash from circulation.
    event CashRetired(address indexed from, uint256 amount);

    uint8 private immutable _decimals;

    /// @param name_ ERC-20 name, e.g. "Digital Shilling (pilot)".
    /// @param symbol_ ERC-20 symbol.
    /// @param decimals_ Token decimals, at most 18.
    /// @param authority The AccessManager that holds the central-bank role.
    constructor(string memory name_, string memory symbol_, uint8 decimals_, address authority)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessManaged(authority)
    {
        if (decimals_ > 18) revert SettlementCashInvalidDecimals(decimals_);
        _decimals = decimals_;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Issue `amount` cash to `to`.
    /// @dev Caller: the central-bank role (through the AccessManager).
    /// Emits {Transfer} and {CashIssued}. Reverts on a zero amount or the zero address.
    function mint(address to, uint256 amount) external restricted {
        if (amount == 0) revert SettlementCashZeroAmount();
        _mint(to, amount);
        emit CashIssued(to, amount);
    }

    /// @notice Retire `amount` of the caller's own cash.
    /// @dev Caller: the central-bank role. Emits {Transfer} and {CashRetired}.
    function burn(uint256 amount) external restricted {
        if (amount == 0) revert SettlementCashZeroAmount();
        _burn(msg.sender, amount);
        emit CashRetired(msg.sender, amount);
    }
}
