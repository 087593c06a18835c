// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {INamesRedemptionDesk} from "../interfaces/IRedemptionDesk.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title SovereignStablecoin
/// @notice The debt-backed sovereign stablecoin: ERC-20 with EIP-2612 permit, AML
/// freezes and court-ordered seizure, and three separately switchable pauses.
/// @dev Invariants this contract keeps (tests/invariants check them):
///  - Supply changes only through the reserve (`mint`, `burnForRedemption`,
///    `burnFromTreasury`); no role of the AccessManager can mint around the
///    reserve's collateral-ratio check, because the reserve check is `msg.sender`,
///    not a role.
///  - A frozen account can neither send, receive, approve, be approved, nor spend
///    or be spent from; its balance changes only by {seize}.
///  - A paused path moves nothing.
/// Decimals: 18, so that amounts are WADs and the reserve's ratio maths need no
/// scaling; 18 is finer than any fiat sub-unit.
/// Not upgradeable, on purpose: holders and auditors can read the exact code that
/// holds their money, and no key can change it. A successor is deployed beside it
/// and holders migrate by redemption (see README, "Upgradeability").
contract SovereignStablecoin is ERC20, ERC20Permit, AccessManaged {
    /// @dev The caller is not the reserve, the only minter and burner.
    error StablecoinNotReserve(address caller);
    /// @dev The reserve is already wired; it is set once.
    error StablecoinReserveAlreadySet(address reserve);
    /// @dev The reserve address is zero.
    error StablecoinInvalidReserve();
    /// @dev `account` is frozen under an AML case.
    error StablecoinAccountFrozen(address account);
    /// @dev `account` is not frozen (unfreeze or seize of a free account).
    error StablecoinAccountNotFrozen(address account);
    /// @dev `account` cannot be frozen (the zero address or the reserve).
    error StablecoinCannotFreeze(address account);
    /// @dev The operation is paused; `flag` names which pause.
    error StablecoinPaused(uint8 flag);
    /// @dev The pause flags are zero or name an unknown pause.
    error StablecoinInvalidPauseFlags(uint8 flags);
    /// @dev A seizure of zero, or to the zero address.
    error StablecoinInvalidSeizure(address to, uint256 amount);

    /// @notice The reserve was wired as the only minter and burner.
    event ReserveSet(address indexed reserve);
    /// @notice `account` was frozen under AML case `caseRef`.
    event AccountFrozen(address indexed account, bytes32 indexed caseRef);
    /// @notice `account` was unfrozen, closing or amending case `caseRef`.
    event AccountUnfrozen(address indexed account, bytes32 indexed caseRef);
    /// @notice `amount` was seized from the frozen `from` to `to` by court order `caseRef`.
    event Seized(address indexed from, address indexed to, uint256 amount, bytes32 indexed caseRef);
    /// @notice The pauses in `flags` were switched on by `by`.
    event Paused(uint8 flags, address indexed by);
    /// @notice The pauses in `flags` were switched off by `by`.
    event Unpaused(uint8 flags, address indexed by);

    /// @dev Blocks {mint} (and so every reserve mint).
    uint8 public constant PAUSE_MINT = 1;
    /// @dev Blocks {burnForRedemption} (participants' redemptions).
    uint8 public constant PAUSE_REDEEM = 2;
    /// @dev Blocks holder-to-holder transfers (transfer, transferFrom).
    uint8 public constant PAUSE_TRANSFER = 4;
    uint8 private constant ALL_PAUSES = PAUSE_MINT | PAUSE_REDEEM | PAUSE_TRANSFER;

    // `reserve` and `pausedFlags` share one slot: a transfer reads the pause bits
    // with the same cold SLOAD that a mint spends on the reserve check.
    /// @notice The reserve: the only account that mints and burns.
    address public reserve;
    /// @notice Bitmask of active pauses (PAUSE_MINT | PAUSE_REDEEM | PAUSE_TRANSFER).
    uint8 public pausedFlags;
    /// @notice Whether `account` is frozen.
    mapping(address account => bool) public frozen;

    /// @param name_ ERC-20 name (also the EIP-712 domain name).
    /// @param symbol_ ERC-20 symbol.
    /// @param authority The system's AccessManager.
    constructor(string memory name_, string memory symbol_, address authority)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
        AccessManaged(authority)
    {}

    // ------------------------------------------------------------ wiring

    /// @notice Wire the reserve, once.
    /// @dev Caller: the admin at deployment. Emits {ReserveSet}.
    function setReserve(address reserve_) external restricted {
        if (reserve_ == address(0)) revert StablecoinInvalidReserve();
        if (reserve != address(0)) revert StablecoinReserveAlreadySet(reserve);
        reserve = reserve_;
        emit ReserveSet(reserve_);
    }

    // ------------------------------------------------------------ supply (reserve only)

    /// @notice Mint `amount` to `to`.
    /// @dev Caller: the reserve, after its collateral-ratio check. Reverts when
    /// minting is paused or `to` is frozen. Emits {Transfer}.
    function mint(address to, uint256 amount) external {
        _onlyReserve();
        _whenNotPaused(PAUSE_MINT);
        _mint(to, amount);
    }

    /// @notice Burn `amount` of a participant's balance during a redemption.
    /// @dev Caller: the reserve. Reverts when redemption is paused or `from` is frozen. Emits {Transfer}.
    function burnForRedemption(address from, uint256 amount) external {
        _onlyReserve();
        _whenNotPaused(PAUSE_REDEEM);
        _burn(from, amount);
    }

    /// @notice Burn `amount` the treasury holds (after an off-chain redemption).
    /// @dev Caller: the reserve. Not behind a pause: burning only raises the
    /// collateral ratio. Reverts when `from` is frozen. Emits {Transfer}.
    function burnFromTreasury(address from, uint256 amount) external {
        _onlyReserve();
        _burn(from, amount);
    }

    // ------------------------------------------------------------ compliance

    /// @notice Freeze `account` under AML case `caseRef`.
    /// @dev Caller: the compliance role. Emits {AccountFrozen}.
    function freeze(address account, bytes32 caseRef) external restricted {
        if (account == address(0) || account == reserve) revert StablecoinCannotFreeze(account);
        // Nor the reserve's redemption desk: its balance is the queued coins of every
        // participant in its queue, not one holder's (a seizure would take theirs).
        if (account == _namedDesk()) revert StablecoinCannotFreeze(account);
        if (frozen[account]) revert StablecoinAccountFrozen(account);
        frozen[account] = true;
        emit AccountFrozen(account, caseRef);
    }

    /// @notice Unfreeze `account`, citing case `caseRef`.
    /// @dev Caller: the compliance role. Emits {AccountUnfrozen}.
    function unfreeze(address account, bytes32 caseRef) external restricted {
        if (!frozen[account]) revert StablecoinAccountNotFrozen(account);
        frozen[account] = false;
        emit AccountUnfrozen(account, caseRef);
    }

    /// @notice Move `amount` from the frozen `from` to `to` under court order `caseRef`.
    /// @dev Caller: the compliance role. Works while transfers are paused (a court
    /// order is not a market transfer). `to` must not be frozen. Emits {Transfer} and {Seized}.
    function seize(address from, address to, uint256 amount, bytes32 caseRef) external restricted {
        if (!frozen[from]) revert StablecoinAccountNotFrozen(from);
        if (to == address(0) || amount == 0) revert StablecoinInvalidSeizure(to, amount);
        if (frozen[to]) revert StablecoinAccountFrozen(to);
        // The base ERC20 update on purpose: the frozen-sender rule must not stop a seizure.
        ERC20._update(from, to, amount);
        emit Seized(from, to, amount, caseRef);
    }

    // ------------------------------------------------------------ pauses

    /// @notice Switch on the pauses in `flags`.
    /// @dev Caller: the guardian role (no delay). Emits {Paused}.
    function pause(uint8 flags) external restricted {
        _checkFlags(flags);
        pausedFlags |= flags;
        emit Paused(flags, msg.sender);
    }

    /// @notice Switch off the pauses in `flags`.
    /// @dev Caller: the governor role (with its delay); the guardian cannot unpause. Emits {Unpaused}.
    function unpause(uint8 flags) external restricted {
        _checkFlags(flags);
        pausedFlags &= ~flags;
        emit Unpaused(flags, msg.sender);
    }

    // ------------------------------------------------------------ ERC-20 hooks

    /// @inheritdoc ERC20
    /// @dev A frozen spender cannot spend even an infinite allowance (which skips {_approve}).
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (frozen[msg.sender]) revert StablecoinAccountFrozen(msg.sender);
        return super.transferFrom(from, to, value);
    }

    /// @dev Every balance change but a seizure passes here: frozen parties and the
    /// transfer pause are checked. Mint (`from == 0`) and burn (`to == 0`) are
    /// paused by their own flags in {mint} and {burnForRedemption}.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) _whenNotPaused(PAUSE_TRANSFER);
        if (frozen[from]) revert StablecoinAccountFrozen(from);
        if (frozen[to]) revert StablecoinAccountFrozen(to);
        super._update(from, to, value);
    }

    /// @dev Covers approve, permit and allowance spending: neither party may be frozen.
    function _approve(address owner, address spender, uint256 value, bool emitEvent) internal override {
        if (frozen[owner]) revert StablecoinAccountFrozen(owner);
        if (frozen[spender]) revert StablecoinAccountFrozen(spender);
        super._approve(owner, spender, value, emitEvent);
    }

    /// @dev The reserve's redemption desk, or zero (no reserve yet, or one without a desk).
    function _namedDesk() private view returns (address) {
        if (reserve.code.length == 0) return address(0);
        (bool ok, bytes memory data) =
            reserve.staticcall(abi.encodeCall(INamesRedemptionDesk.redemptionDesk, ()));
        return ok && data.length == 32 ? abi.decode(data, (address)) : address(0);
    }

    function _onlyReserve() private view {
        if (msg.sender != reserve) revert StablecoinNotReserve(msg.sender);
    }

    function _whenNotPaused(uint8 flag) private view {
        if (pausedFlags & flag != 0) revert StablecoinPaused(flag);
    }

    function _checkFlags(uint8 flags) private pure {
        if (flags == 0 || flags & ~ALL_PAUSES != 0) revert StablecoinInvalidPauseFlags(flags);
    }
}
