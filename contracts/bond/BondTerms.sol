// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {CouponSchedule} from "./CouponSchedule.sol";
import {DateMath} from "./DateMath.sol";

/// @title BondTerms
/// @notice A bond series' immutable terms, and the rules they must satisfy.
/// @dev The schedule is regular after the first coupon: maturity must lie a whole
/// number of periods after the first coupon date (no short or long final period),
/// and the first period is short, regular, or long by less than one more period.
library BondTerms {
    struct Terms {
        string name; // e.g. "Sovereign Bond 2030"
        string isin; // also the token symbol
        string currency; // the settlement currency's code, e.g. "SLL"
        uint8 decimals;
        uint256 faceValue; // cash units per whole token
        uint256 couponRateWad; // a fixed bond's annual rate; zero for a floating one
        AggregatorV3Interface referenceRate; // a floating bond's reference rate feed; zero for a fixed one
        int256 marginWad; // a floating bond's margin over the reference rate
        uint8 frequency; // coupons a year: 1, 2 or 4
        uint8 dayCount; // CouponSchedule.ACT_365F .. ACT_ACT_ICMA
        bool endOfMonth; // month-end first coupon date: every coupon date a month-end
        uint256 issueDate; // unix seconds, 00:00 UTC
        uint256 firstCouponDate;
        uint256 maturity;
        uint256 recordDays; // the record date is this many days before each payment date
        uint256[] callDates; // each a coupon date before maturity, increasing
        uint256[] callPrices; // cash per whole token
        uint256 callNoticeDays; // a call is made at least this many days before its date
    }

    /// @dev 100% a year: above it a rate is a typo, and the coupon maths stays far from overflow.
    uint256 internal constant MAX_RATE_WAD = 1e18;
    /// @dev 1e30 cash units per token: far above any face value, far below overflow.
    uint256 internal constant MAX_FACE = 1e30;
    /// @dev 200 coupons: 50 years quarterly. Bounds the default's one loop over coupons.
    uint256 internal constant MAX_COUPONS = 200;
    /// @dev A month: longer ex-coupon periods are unheard of, and each record date
    /// must fall after the previous payment date (the shortest period is 89 days).
    uint256 internal constant MAX_RECORD_DAYS = 30;
    uint256 internal constant MAX_CALLS = 16;
    uint256 internal constant MAX_NOTICE_DAYS = 365;

    error BondInvalidTerms(bytes32 reason, uint256 value);

    /// @dev Check `t` and return its schedule and number of coupons.
    function validate(Terms memory t) internal view returns (CouponSchedule.Dates memory s, uint256 count) {
        uint256 day = DateMath.SECONDS_PER_DAY;
        _require(bytes(t.isin).length != 0 && bytes(t.name).length != 0, "name", 0);
        _require(t.decimals <= 18, "decimals", t.decimals);
        _require(t.faceValue != 0 && t.faceValue <= MAX_FACE, "faceValue", t.faceValue);
        _require(t.frequency == 1 || t.frequency == 2 || t.frequency == 4, "frequency", t.frequency);
        _require(t.dayCount <= CouponSchedule.ACT_ACT_ICMA, "dayCount", t.dayCount);
        if (address(t.referenceRate) == address(0)) {
            _require(t.couponRateWad <= MAX_RATE_WAD, "couponRate", t.couponRateWad);
            _require(t.marginWad == 0, "margin", uint256(t.marginWad));
        } else {
            _require(t.couponRateWad == 0, "couponRate", t.couponRateWad);
            _require(t.marginWad >= -int256(MAX_RATE_WAD) && t.marginWad <= int256(MAX_RATE_WAD), "margin", 0);
            _require(t.referenceRate.decimals() <= 18, "referenceDecimals", t.referenceRate.decimals());
        }
        _require(t.issueDate % day == 0, "issueDate", t.issueDate);
        _require(t.firstCouponDate % day == 0 && t.firstCouponDate > t.issueDate, "firstCouponDate", t.firstCouponDate);
        _require(t.maturity % day == 0 && t.maturity >= t.firstCouponDate, "maturity", t.maturity);
        s.issueDay = t.issueDate / day;
        s.firstCouponDay = t.firstCouponDate / day;
        s.maturityDay = t.maturity / day;
        s.stepMonths = 12 / t.frequency;
        s.endOfMonth = t.endOfMonth && DateMath.isMonthEnd(s.firstCouponDay);
        s.dayCount = t.dayCount;
        (s.firstMonthIndex, s.firstDayOfMonth) = CouponSchedule.monthAndDay(s.firstCouponDay);

        uint256 months = uint256(DateMath.monthsBetween(s.firstCouponDay, s.maturityDay));
        _require(
            months % s.stepMonths == 0 && DateMath.addMonths(s.firstCouponDay, int256(months), s.endOfMonth) == s.maturityDay,
            "maturityOffSchedule",
            t.maturity
        );
        count = months / s.stepMonths + 1;
        _require(count <= MAX_COUPONS, "couponCount", count);
        // A long first period may add at most one quasi-period before the reference period.
        uint256 refStart = CouponSchedule.firstReferenceStart(s);
        uint256 earliest = DateMath.addMonths(refStart, -int256(s.stepMonths), false);
        _require(s.issueDay >= earliest, "firstPeriodTooLong", t.issueDate);
        _require(t.recordDays <= MAX_RECORD_DAYS && t.recordDays < s.firstCouponDay - s.issueDay, "recordDays", t.recordDays);

        _require(t.callDates.length == t.callPrices.length && t.callDates.length <= MAX_CALLS, "calls", t.callDates.length);
        _require(t.callNoticeDays <= MAX_NOTICE_DAYS, "callNoticeDays", t.callNoticeDays);
        uint256 previous;
        for (uint256 i; i < t.callDates.length; ++i) {
            uint256 callDate = t.callDates[i];
            uint256 k = callDate % day == 0 ? CouponSchedule.paidBy(s, callDate / day) : 0;
            _require(
                k != 0 && k < count && CouponSchedule.payDay(s, k - 1) * day == callDate && callDate > previous,
                "callDate",
                callDate
            );
            _require(t.callPrices[i] != 0 && t.callPrices[i] <= 2 * t.faceValue, "callPrice", t.callPrices[i]);
            previous = callDate;
        }
    }

    function _require(bool ok, bytes32 reason, uint256 value) private pure {
        if (!ok) revert BondInvalidTerms(reason, value);
    }
}
