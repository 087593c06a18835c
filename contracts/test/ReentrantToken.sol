// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only hostile token (collateral or cash): once armed, its next
/// transfer calls `target` with `payload` after moving the balances (the strongest
/// callback position, later than an ERC-777 hook). A failed callback is bubbled up
/// unchanged, so the outer call reverts with the victim's own error; a callback
/// that succeeds leaves its return data in {lastReturn} for the test to read.
contract ReentrantToken is ERC20 {
    uint8 private immutable _decimals;
    address public target;
    bytes public payload;
    bool public armed;
    bytes public lastReturn;

    constructor(uint8 decimals_) ERC20("Reentrant cash", "REE") {
        _decimals = decimals_;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Call `target_` with `payload_` during the next transfer (once).
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (!armed || from == address(0) || to == address(0)) return;
        armed = false;
        (bool ok, bytes memory ret) = target.call(payload);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        lastReturn = ret;
    }
}
