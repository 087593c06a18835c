// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @notice The gas baseline of `make bench`: a plain OpenZeppelin 5 ERC-20 with
/// permit, compiled with the same settings as the system, nothing added.
contract PlainERC20 is ERC20, ERC20Permit {
    constructor() ERC20("Plain", "PLN") ERC20Permit("Plain") {
        _mint(msg.sender, 1_000_000e18);
    }
}
