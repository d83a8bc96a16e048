// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {BridgedToken} from "../src/BridgedToken.sol";

contract BridgedTokenTest is Fixture {
    BridgedToken internal weth;
    BridgedToken internal tt;

    function setUp() public override {
        super.setUp();
        depositETH(alice, alice, 5 ether);
        depositToken(address(token), bob, bob, 7e18);
        relayAll();
        onL2();
        weth = BridgedToken(l2.bridgedToken(address(0)));
        tt = BridgedToken(l2.bridgedToken(address(token)));
    }

    /// @dev The escape proof reads balances at keccak256(abi.encode(account, uint256(0))).
    function test_balanceSlot_isMappingAtSlotZero_succeeds() public view {
        assertEq(uint256(vm.load(address(weth), keccak256(abi.encode(alice, uint256(0))))), 5 ether);
        assertEq(uint256(vm.load(address(tt), keccak256(abi.encode(bob, uint256(0))))), 7e18);
        assertEq(uint256(vm.load(address(tt), keccak256(abi.encode(alice, uint256(0))))), 0);
        // total supply at slot 2 (OpenZeppelin ERC20)
        assertEq(uint256(vm.load(address(weth), bytes32(uint256(2)))), 5 ether);
    }

    function testFuzz_balanceSlot_tracksBalance(address account, uint96 amount) public {
        vm.assume(account != address(0));
        onL2();
        vm.prank(address(l2));
        weth.mint(account, amount);
        uint256 expected = weth.balanceOf(account);
        assertEq(uint256(vm.load(address(weth), keccak256(abi.encode(account, uint256(0))))), expected);
    }

    function test_balanceSlot_tracksBalance_succeeds() public {
        testFuzz_balanceSlot_tracksBalance(address(0x1234), 42);
    }

    function test_metadata_readBackFromBridge_succeeds() public view {
        assertEq(weth.name(), "Ether");
        assertEq(weth.symbol(), "ETH");
        assertEq(weth.decimals(), 18);
        assertEq(weth.l1Token(), address(0));
        assertEq(weth.bridge(), address(l2));
        assertEq(tt.name(), "Test Token");
        assertEq(tt.symbol(), "TT");
        assertEq(tt.l1Token(), address(token));
    }

    function test_address_dependsOnL1TokenOnly_succeeds() public view {
        bytes32 salt = bytes32(uint256(uint160(address(token))));
        address expected = address(
            uint160(
                uint256(
                    keccak256(
                        abi.encodePacked(
                            bytes1(0xff), address(l2), salt, keccak256(type(BridgedToken).creationCode)
                        )
                    )
                )
            )
        );
        assertEq(address(tt), expected);
    }

    function test_mint_notBridge_reverts() public {
        vm.prank(alice);
        vm.expectRevert(BridgedToken.OnlyBridge.selector);
        weth.mint(alice, 1);
    }

    function test_burn_notBridge_reverts() public {
        vm.prank(alice);
        vm.expectRevert(BridgedToken.OnlyBridge.selector);
        weth.burn(alice, 1);
    }

    function test_mintAndBurn_byBridge_succeeds() public {
        vm.startPrank(address(l2));
        weth.mint(bob, 3);
        weth.burn(bob, 2);
        vm.stopPrank();
        assertEq(weth.balanceOf(bob), 1);
    }

    function test_transfer_betweenHolders_succeeds() public {
        vm.prank(alice);
        assertTrue(weth.transfer(bob, 1 ether));
        assertEq(weth.balanceOf(bob), 1 ether);
        assertEq(uint256(vm.load(address(weth), keccak256(abi.encode(bob, uint256(0))))), 1 ether);
    }
}
