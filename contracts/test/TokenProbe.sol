// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Test-only ERC-20 actor: performs a transfer, a transferFrom (as the
/// spender) or two approvals in one call and reports the balances, allowance and
/// supply before and after, so that crytic's ERC-20 accounting properties are
/// checked with one eth_call and nothing is committed. The probe must hold the
/// token (for transfer) or be approved by the owner (for transferFrom).
contract TokenProbe {
    struct Moved {
        bool ok;
        uint256 fromBefore;
        uint256 fromAfter;
        uint256 toBefore;
        uint256 toAfter;
        uint256 allowanceBefore;
        uint256 allowanceAfter;
        uint256 supplyBefore;
        uint256 supplyAfter;
    }

    function transfer(IERC20 token, address to, uint256 amount) external returns (Moved memory m) {
        m.fromBefore = token.balanceOf(address(this));
        m.toBefore = token.balanceOf(to);
        m.supplyBefore = token.totalSupply();
        m.ok = token.transfer(to, amount);
        m.fromAfter = token.balanceOf(address(this));
        m.toAfter = token.balanceOf(to);
        m.supplyAfter = token.totalSupply();
    }

    function transferFrom(IERC20 token, address from, address to, uint256 amount) external returns (Moved memory m) {
        m.fromBefore = token.balanceOf(from);
        m.toBefore = token.balanceOf(to);
        m.allowanceBefore = token.allowance(from, address(this));
        m.supplyBefore = token.totalSupply();
        m.ok = token.transferFrom(from, to, amount);
        m.fromAfter = token.balanceOf(from);
        m.toAfter = token.balanceOf(to);
        m.allowanceAfter = token.allowance(from, address(this));
        m.supplyAfter = token.totalSupply();
    }

    /// @dev approve(spender, first) then approve(spender, second): the allowance after each.
    function approveTwice(IERC20 token, address spender, uint256 first, uint256 second)
        external
        returns (uint256 afterFirst, uint256 afterSecond)
    {
        require(token.approve(spender, first));
        afterFirst = token.allowance(address(this), spender);
        require(token.approve(spender, second));
        afterSecond = token.allowance(address(this), spender);
    }
}
