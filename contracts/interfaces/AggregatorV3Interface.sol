// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Chainlink's AggregatorV3 read interface, so that a real price feed or a
/// proof-of-reserve feed can replace the stub without touching the reserve.
interface AggregatorV3Interface {
    function decimals() external view returns (uint8);
    function description() external view returns (string memory);
    function version() external view returns (uint256);
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
