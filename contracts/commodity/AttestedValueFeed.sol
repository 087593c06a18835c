// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {CommodityToken} from "./CommodityToken.sol";

/// @title AttestedValueFeed
/// @notice Values one whole commodity token for the reserve: its price in the peg
/// currency (an FxConvertedFeed) while the token's proof of reserve is live, and
/// zero when the attestation has expired or never existed.
/// @dev The dust rule: an asset whose backing cannot be shown counts zero, and the
/// valuation goes on (no revert). What is attested is the token's {backing}: the
/// live statement's total less what was delivered since its as-of. If that is
/// less than the supply (bars lost, a short count), each token counts its share:
/// price × backing / supply. updatedAt is the price's, so the
/// reserve's heartbeat applies. Answer: peg currency per whole token, 18 decimals.
contract AttestedValueFeed is AggregatorV3Interface {
    CommodityToken public immutable token;
    AggregatorV3Interface public immutable priceFeed;

    constructor(CommodityToken token_) {
        token = token_;
        priceFeed = token_.priceFeed();
    }

    function decimals() external pure override returns (uint8) {
        return 18;
    }

    function description() external pure override returns (string memory) {
        return "Commodity token price while its proof of reserve is live";
    }

    function version() external pure override returns (uint256) {
        return 1;
    }

    /// @notice The parts of the answer: the price [wad], whether the attestation is
    /// live, the backing and the supply [token units], and the value counted
    /// [wad]. A price the feed cannot give (reverting, non-positive) is 0.
    function valuation()
        public
        view
        returns (int256 price, bool live, uint256 attested, uint256 supply, int256 value, uint256 updatedAt)
    {
        (live, attested,) = token.backing();
        supply = token.totalSupply();
        try priceFeed.latestRoundData() returns (uint80, int256 a, uint256, uint256 at, uint80) {
            (price, updatedAt) = (a, at);
        } catch {
            return (0, live, attested, supply, 0, 0);
        }
        uint8 priceDecimals;
        try priceFeed.decimals() returns (uint8 d) {
            priceDecimals = d;
        } catch {
            return (0, live, attested, supply, 0, updatedAt);
        }
        if (price <= 0 || uint256(price) > type(uint128).max || priceDecimals > 18) {
            return (0, live, attested, supply, 0, updatedAt);
        }
        price *= int256(10 ** (18 - priceDecimals));
        if (!live) return (price, live, attested, supply, 0, updatedAt);
        value = supply > attested ? int256(Math.mulDiv(uint256(price), attested, supply)) : price;
    }

    function latestRoundData() public view override returns (uint80, int256, uint256, uint256, uint80) {
        (,,,, int256 value, uint256 updatedAt) = valuation();
        return (1, value, updatedAt, updatedAt, 1);
    }

    /// @notice Only the current round exists.
    function getRoundData(uint80) external view override returns (uint80, int256, uint256, uint256, uint80) {
        return latestRoundData();
    }
}
