// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {Fixture} from "../utils/Fixture.sol";
import {HandlerBase} from "../utils/HandlerBase.sol";
import {BridgeHandler} from "./BridgeHandler.sol";
import {FeeOnTransferToken} from "../../src/devnet/TestToken.sol";

/// @notice Invariants of the whole bridge, L1 and L2 side by side in one EVM (see BridgeHandler).
contract BridgeInvariantTest is Fixture {
    BridgeHandler internal handler;
    FeeOnTransferToken internal fot;

    function setUp() public override {
        super.setUp();
        fot = new FeeOnTransferToken(100);
        handler = new BridgeHandler(
            HandlerBase.Deployment(l1, oracle, l2, rootOracle, token, proposer, publisher, council),
            fot,
            challenger
        );
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](17);
        selectors[0] = BridgeHandler.depositETH.selector;
        selectors[1] = BridgeHandler.depositToken.selector;
        selectors[2] = BridgeHandler.commitAndPublish.selector;
        selectors[3] = BridgeHandler.relay.selector;
        selectors[4] = BridgeHandler.relayWithBadRoot.selector;
        selectors[5] = BridgeHandler.relayOutOfOrder.selector;
        selectors[6] = BridgeHandler.withdraw.selector;
        selectors[7] = BridgeHandler.proposeHonest.selector;
        selectors[8] = BridgeHandler.proposeBogus.selector;
        selectors[9] = BridgeHandler.stealThroughBogusOutput.selector;
        selectors[10] = BridgeHandler.challengeHonest.selector;
        selectors[11] = BridgeHandler.resolve.selector;
        selectors[12] = BridgeHandler.warp.selector;
        selectors[13] = BridgeHandler.finalize.selector;
        selectors[14] = BridgeHandler.finalizeBatch.selector;
        selectors[15] = BridgeHandler.finalizeTwice.selector;
        selectors[16] = BridgeHandler.finalizeAtBoundary.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev escrow == L2 supply + withdrawals not finalized + deposits not processed, per token; the
    /// bridge holds at least its escrow.
    function _checkEscrow(address l1Token) internal view {
        address l2Token = l2.bridgedToken(l1Token);
        uint256 supply = l2Token == address(0) ? 0 : IERC20(l2Token).totalSupply();
        uint256 pending = handler.pendingWithdrawals(l1Token);
        uint256 unprocessed = handler.unprocessedDeposits(l1Token, l2.l1MessagesProcessed());
        uint256 escrow = l1.escrowed(l1Token);
        assertGe(escrow, supply + pending, "escrow below L2 supply + pending withdrawals");
        assertEq(escrow, supply + pending + unprocessed, "escrow accounting");
        uint256 held = l1Token == address(0) ? address(l1).balance : IERC20(l1Token).balanceOf(address(l1));
        assertGe(held, escrow, "bridge holds its escrow");
    }

    function invariant_escrowCoversSupplyAndPending() public view {
        _checkEscrow(address(0));
        _checkEscrow(address(token));
        _checkEscrow(address(fot));
    }

    function invariant_withdrawalsFinalizeOnceAndOnlyWhenFinal() public view {
        assertFalse(handler.doubleFinalization(), "a withdrawal was paid twice");
        assertFalse(handler.finalizedWhileNotFinal(), "paid against an output that was not final");
        assertFalse(handler.theft(), "paid through a bogus output");
        assertFalse(handler.finalityWentBack(), "finality went backwards (or a bogus output became final)");
        uint256 n = handler.withdrawalCount();
        for (uint256 i; i < n; ++i) {
            uint256 c = handler.finalizedCount(i);
            assertLe(c, 1, "finalized more than once");
            assertEq(l1.isWithdrawalFinalized(uint64(i)), c == 1, "spent bit");
        }
    }

    function invariant_challengeWindowBoundaryExact() public view {
        assertFalse(handler.boundaryViolated(), "challenge/finalization boundary not exact");
    }

    function invariant_messagesProcessedOnceInOrder() public view {
        assertFalse(handler.outOfOrderAccepted(), "an out-of-order relay was accepted");
        uint256 processed = l2.l1MessagesProcessed();
        assertLe(processed, l1.messageCount(), "processed more than sent");
        uint256 n = handler.messageCount();
        assertEq(n, l1.messageCount(), "ghost message count");
        for (uint256 i; i < n; ++i) {
            assertEq(handler.processedCount(i), i < processed ? 1 : 0, "each message exactly once, in order");
        }
    }

    function invariant_unknownOrZeroRootNeverAccepted() public view {
        assertFalse(handler.badRootAccepted(), "a zero or unknown root was accepted");
        assertFalse(rootOracle.isKnownRoot(bytes32(0)), "zero root known");
    }
}
