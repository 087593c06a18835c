// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice What the reserve and the stablecoin ask of the redemption desk and of each other
/// about it (interfaces, not imports: the desk imports both).
interface IRedemptionDesk {
    function reserve() external view returns (address);
    function queueEmpty() external view returns (bool);
}

interface INamesRedemptionDesk {
    function redemptionDesk() external view returns (address);
}
