// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

/// @notice Test-only ERC-4626 actor: runs an operation, or two back to back, in one
/// call and reports what moved, so that a property (a16z's prop_RT_*, crytic's
/// accounting properties) is checked with one eth_call and nothing is committed.
/// It must be allowlisted in the vault and hold cash (and shares for the trips
/// that start by leaving). Every figure is measured, not taken from return values.
contract VaultProbe {
    IERC4626 public immutable vault;
    IERC20 public immutable asset;

    /// @dev What one operation moved: its return value, the probe's cash out (or in),
    /// and the share balance change of the receiver (or owner).
    struct Moved {
        uint256 returned;
        uint256 assets;
        uint256 shares;
    }

    constructor(IERC4626 vault_) {
        vault = vault_;
        asset = IERC20(vault_.asset());
        asset.approve(address(vault_), type(uint256).max);
    }

    function deposit(uint256 assets, address receiver) public returns (Moved memory m) {
        uint256 cash0 = asset.balanceOf(address(this));
        uint256 shares0 = vault.balanceOf(receiver);
        m.returned = vault.deposit(assets, receiver);
        m.assets = cash0 - asset.balanceOf(address(this));
        m.shares = vault.balanceOf(receiver) - shares0;
    }

    function mint(uint256 shares, address receiver) public returns (Moved memory m) {
        uint256 cash0 = asset.balanceOf(address(this));
        uint256 shares0 = vault.balanceOf(receiver);
        m.returned = vault.mint(shares, receiver);
        m.assets = cash0 - asset.balanceOf(address(this));
        m.shares = vault.balanceOf(receiver) - shares0;
    }

    function withdraw(uint256 assets, address receiver) public returns (Moved memory m) {
        uint256 cash0 = asset.balanceOf(receiver);
        uint256 shares0 = vault.balanceOf(address(this));
        m.returned = vault.withdraw(assets, receiver, address(this));
        m.assets = asset.balanceOf(receiver) - cash0;
        m.shares = shares0 - vault.balanceOf(address(this));
    }

    function redeem(uint256 shares, address receiver) public returns (Moved memory m) {
        uint256 cash0 = asset.balanceOf(receiver);
        uint256 shares0 = vault.balanceOf(address(this));
        m.returned = vault.redeem(shares, receiver, address(this));
        m.assets = asset.balanceOf(receiver) - cash0;
        m.shares = shares0 - vault.balanceOf(address(this));
    }

    // ------------------------------------------------------------ round trips (a16z prop_RT_*)

    /// @dev deposit(a), then redeem the shares it gave: returns (shares, assets back).
    function depositRedeem(uint256 assets) external returns (uint256, uint256) {
        uint256 shares = vault.deposit(assets, address(this));
        return (shares, vault.redeem(shares, address(this), address(this)));
    }

    /// @dev deposit(a), then withdraw(a): returns (shares in, shares burned).
    function depositWithdraw(uint256 assets) external returns (uint256, uint256) {
        uint256 shares = vault.deposit(assets, address(this));
        return (shares, vault.withdraw(assets, address(this), address(this)));
    }

    /// @dev mint(s), then withdraw the assets it cost: returns (assets paid, shares burned).
    function mintWithdraw(uint256 shares) external returns (uint256, uint256) {
        uint256 assets = vault.mint(shares, address(this));
        return (assets, vault.withdraw(assets, address(this), address(this)));
    }

    /// @dev mint(s), then redeem(s): returns (assets paid, assets back).
    function mintRedeem(uint256 shares) external returns (uint256, uint256) {
        uint256 assets = vault.mint(shares, address(this));
        return (assets, vault.redeem(shares, address(this), address(this)));
    }

    /// @dev redeem(s), then deposit what it paid: returns (assets out, shares back).
    function redeemDeposit(uint256 shares) external returns (uint256, uint256) {
        uint256 assets = vault.redeem(shares, address(this), address(this));
        return (assets, vault.deposit(assets, address(this)));
    }

    /// @dev redeem(s), then mint(s): returns (assets out, assets paid).
    function redeemMint(uint256 shares) external returns (uint256, uint256) {
        uint256 assets = vault.redeem(shares, address(this), address(this));
        return (assets, vault.mint(shares, address(this)));
    }

    /// @dev withdraw(a), then mint the shares it burned: returns (shares burned, assets paid).
    function withdrawMint(uint256 assets) external returns (uint256, uint256) {
        uint256 shares = vault.withdraw(assets, address(this), address(this));
        return (shares, vault.mint(shares, address(this)));
    }

    /// @dev withdraw(a), then deposit(a): returns (shares burned, shares back).
    function withdrawDeposit(uint256 assets) external returns (uint256, uint256) {
        uint256 shares = vault.withdraw(assets, address(this), address(this));
        return (shares, vault.deposit(assets, address(this)));
    }

    // ------------------------------------------------------------ rounding drain

    /// @dev `n` withdrawals of `assets` each: returns (shares burned, cash received).
    function withdrawRepeatedly(uint256 assets, uint256 n) external returns (uint256 burned, uint256 received) {
        uint256 shares0 = vault.balanceOf(address(this));
        uint256 cash0 = asset.balanceOf(address(this));
        for (uint256 i; i < n; ++i) {
            vault.withdraw(assets, address(this), address(this));
        }
        burned = shares0 - vault.balanceOf(address(this));
        received = asset.balanceOf(address(this)) - cash0;
    }

    /// @dev `n` redemptions of `shares` each: returns (shares burned, cash received).
    function redeemRepeatedly(uint256 shares, uint256 n) external returns (uint256 burned, uint256 received) {
        uint256 shares0 = vault.balanceOf(address(this));
        uint256 cash0 = asset.balanceOf(address(this));
        for (uint256 i; i < n; ++i) {
            vault.redeem(shares, address(this), address(this));
        }
        burned = shares0 - vault.balanceOf(address(this));
        received = asset.balanceOf(address(this)) - cash0;
    }
}
