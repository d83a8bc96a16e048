// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {BridgedToken} from "../src/BridgedToken.sol";

contract SmokeTest is Fixture {
    function test_roundTrip_ethAndToken_succeeds() public {
        depositETH(alice, alice, 3 ether);
        depositToken(address(token), bob, bob, 100e18);
        relayAll();
        BridgedToken weth = bridged(address(0));
        assertEq(weth.balanceOf(alice), 3 ether);
        withdrawOnL2(alice, address(0), alice, 1 ether);
        withdrawOnL2(bob, address(token), bob, 40e18);
        uint256 idx = proposeAndFinalize();
        uint256 before = alice.balance;
        l1.finalizeWithdrawal(sentWithdrawals[0], idx, withdrawalProofAt(0, idx));
        assertEq(alice.balance - before, 1 ether);
        l1.finalizeWithdrawal(sentWithdrawals[1], idx, withdrawalProofAt(1, idx));
        assertEq(token.balanceOf(bob), 40e18);
    }
}
