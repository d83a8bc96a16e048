// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Fixture} from "../utils/Fixture.sol";
import {HandlerBase} from "../utils/HandlerBase.sol";
import {EscapeHandler} from "./EscapeHandler.sol";

/// @notice The bridge never pays out more than was deposited, whatever order users deposit, withdraw,
/// force, the operator relays and proposes (or lags, or proposes at the very end of inclusion windows, or
/// falls silent), anyone freezes, escapes, reclaims deposits and finalizes withdrawals, while adversaries act
/// (issue 9): a rogue root publisher forging deposits to itself on L2 and withdrawing them, a lying proposer,
/// last-second challengers and a council that rules correctly but slowly or never (see EscapeHandler).
/// Per token: paid (withdrawals + escapes + refunds) <= really deposited and escrow == deposited - paid;
/// exact conservation: before the freeze escrow == L2 supply + unpaid withdrawals + unprocessed deposits -
/// forged coins, after it escrow == what is still owed against the escape output (unescaped balances there,
/// its unpaid withdrawals, unrefunded deposits it did not process). No L2 funds are paid twice (no withdrawal
/// nonce twice; every paid withdrawal is in the escape state's withdrawal tree, paid against an output at or
/// below the escape output); finality never goes backwards; a lying output is never final; the attacker is
/// never paid anything.
/// forge-config: default.invariant.runs = 128
/// forge-config: default.invariant.depth = 64
contract EscapeInvariantTest is Fixture {
    EscapeHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new EscapeHandler(
            HandlerBase.Deployment(l1, oracle, l2, rootOracle, token, proposer, publisher, council)
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](28);
        selectors[0] = EscapeHandler.deposit.selector;
        selectors[1] = EscapeHandler.force.selector;
        selectors[2] = EscapeHandler.pause.selector;
        selectors[3] = EscapeHandler.relay.selector;
        selectors[4] = EscapeHandler.withdraw.selector;
        selectors[5] = EscapeHandler.transferL2.selector;
        selectors[6] = EscapeHandler.propose.selector;
        selectors[7] = EscapeHandler.warp.selector;
        selectors[8] = EscapeHandler.freeze.selector;
        selectors[9] = EscapeHandler.escape.selector;
        selectors[10] = EscapeHandler.reclaim.selector;
        selectors[11] = EscapeHandler.finalize.selector;
        selectors[12] = EscapeHandler.setCensoring.selector;
        selectors[13] = EscapeHandler.forge.selector;
        selectors[14] = EscapeHandler.attackerWithdraw.selector;
        selectors[15] = EscapeHandler.proposeLying.selector;
        selectors[16] = EscapeHandler.proposeLate.selector;
        selectors[17] = EscapeHandler.setSilent.selector;
        selectors[18] = EscapeHandler.challengeLastSecond.selector;
        selectors[19] = EscapeHandler.councilRule.selector;
        selectors[20] = EscapeHandler.finalizeTwice.selector;
        // The users, the relayer and the honest proposer act twice as often as each adversary.
        selectors[21] = EscapeHandler.propose.selector;
        selectors[22] = EscapeHandler.deposit.selector;
        selectors[23] = EscapeHandler.relay.selector;
        selectors[24] = EscapeHandler.withdraw.selector;
        selectors[25] = EscapeHandler.finalize.selector;
        selectors[26] = EscapeHandler.warp.selector;
        selectors[27] = EscapeHandler.escape.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function _held(address l1Token) internal view returns (uint256) {
        return l1Token == address(0) ? address(l1).balance : IERC20(l1Token).balanceOf(address(l1));
    }

    function _checkToken(address l1Token) internal view {
        uint256 deposited = handler.deposited(l1Token);
        uint256 paid = handler.paid(l1Token);
        uint256 escrow = l1.escrowed(l1Token);
        assertLe(paid, deposited, "paid more than deposited");
        assertEq(escrow, deposited - paid, "escrow != deposited - paid");
        assertGe(_held(l1Token), escrow, "bridge holds less than its escrow");
    }

    /// @dev One campaign checks everything (each invariant function would run its own campaign).
    function invariant_neverPaysMoreThanEscrow() public view {
        address[2] memory tokens = [address(0), address(token)];
        for (uint256 i; i < 2; ++i) {
            _checkToken(tokens[i]);
            uint256 owed = l1.frozen()
                ? handler.outstandingAfterFreeze(tokens[i])
                : handler.outstandingBeforeFreeze(tokens[i]);
            assertEq(l1.escrowed(tokens[i]), owed, "escrow != outstanding claims");
        }
        assertFalse(handler.mustFailSucceeded(), handler.mustFailWhat());
        assertFalse(handler.payoutMismatch(), "a payout differed from the proven or recorded amount");
        assertFalse(handler.freezeRuleBroken(), "freeze allowed or refused against the rule");
        if (handler.freezes() > 0) assertTrue(l1.frozen(), "unfrozen");
        // No L2 funds paid twice.
        (bool twice, string memory what) = handler.paidTwice();
        assertFalse(twice, what);
        assertEq(address(0xBAD).balance, 0, "the attacker was paid ETH");
        assertEq(token.balanceOf(address(0xBAD)), 0, "the attacker was paid tokens");
        // Finality never goes backwards (checked after every action), a lying output is never final.
        assertFalse(handler.finalityWentBack(), "finality went backwards");
        assertFalse(handler.bogusFinal(), "a lying output became final");
        uint256 upTo = handler.finalUpTo();
        if (upTo > 0) {
            assertGe(oracle.latestFinalIndex() + 1, upTo, "latestFinalIndex below the final prefix seen");
        }
    }
}
