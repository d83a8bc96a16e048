// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {Fixture} from "./utils/Fixture.sol";
import {L1RootOracle} from "../src/L1RootOracle.sol";
import {IL1RootOracle} from "../src/interfaces/IL1RootOracle.sol";
import {IGoverned} from "../src/interfaces/IGoverned.sol";

contract L1RootOracleTest is Fixture {
    function setUp() public override {
        super.setUp();
        onL2();
    }

    function test_initialize_validParams_succeeds() public view {
        assertEq(rootOracle.governance(), governance);
        assertEq(rootOracle.publisher(), publisher);
        assertEq(rootOracle.latestRoot(), bytes32(0));
        assertEq(rootOracle.latestCount(), 0);
    }

    function test_initialize_zeroGovernance_reverts() public {
        address impl = address(new L1RootOracle());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "governance"));
        new ERC1967Proxy(impl, abi.encodeCall(L1RootOracle.initialize, (address(0), publisher)));
    }

    function test_initialize_zeroPublisher_reverts() public {
        address impl = address(new L1RootOracle());
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "publisher"));
        new ERC1967Proxy(impl, abi.encodeCall(L1RootOracle.initialize, (governance, address(0))));
    }

    function test_initialize_twice_reverts() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        rootOracle.initialize(governance, publisher);
    }

    function test_initialize_onImplementation_reverts() public {
        L1RootOracle impl = new L1RootOracle();
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(governance, publisher);
    }

    function test_publishRoot_byPublisher_succeeds() public {
        vm.expectEmit(address(rootOracle));
        emit IL1RootOracle.RootPublished(keccak256("r"), 3);
        vm.prank(publisher);
        rootOracle.publishRoot(keccak256("r"), 3);
        assertEq(rootOracle.rootCount(keccak256("r")), 3);
        assertTrue(rootOracle.isKnownRoot(keccak256("r")));
        assertEq(rootOracle.latestRoot(), keccak256("r"));
        assertEq(rootOracle.latestCount(), 3);
    }

    function test_publishRoot_notPublisher_reverts() public {
        vm.prank(governance);
        vm.expectRevert(IL1RootOracle.NotPublisher.selector);
        rootOracle.publishRoot(keccak256("r"), 3);
    }

    function test_publishRoot_zeroRoot_reverts() public {
        vm.prank(publisher);
        vm.expectRevert(IL1RootOracle.ZeroRoot.selector);
        rootOracle.publishRoot(bytes32(0), 3);
        assertFalse(rootOracle.isKnownRoot(bytes32(0)));
    }

    function test_publishRoot_zeroCount_reverts() public {
        vm.prank(publisher);
        vm.expectRevert(IL1RootOracle.ZeroCount.selector);
        rootOracle.publishRoot(keccak256("r"), 0);
    }

    function test_publishRoot_sameRootSameCountIsNoop_succeeds() public {
        vm.startPrank(publisher);
        rootOracle.publishRoot(keccak256("r"), 3);
        vm.recordLogs();
        rootOracle.publishRoot(keccak256("r"), 3);
        vm.stopPrank();
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_publishRoot_sameRootOtherCount_reverts() public {
        vm.startPrank(publisher);
        rootOracle.publishRoot(keccak256("r"), 3);
        vm.expectRevert(
            abi.encodeWithSelector(
                IL1RootOracle.RootCountMismatch.selector, keccak256("r"), uint64(3), uint64(4)
            )
        );
        rootOracle.publishRoot(keccak256("r"), 4);
        vm.stopPrank();
    }

    function test_publishRoot_latestFollowsLargestCount_succeeds() public {
        vm.startPrank(publisher);
        rootOracle.publishRoot(keccak256("a"), 5);
        rootOracle.publishRoot(keccak256("b"), 2); // an older root published late
        vm.stopPrank();
        assertEq(rootOracle.latestRoot(), keccak256("a"));
        assertEq(rootOracle.latestCount(), 5);
        assertTrue(rootOracle.isKnownRoot(keccak256("b")));
    }

    function test_rootCount_unknownRoot_succeeds() public view {
        assertEq(rootOracle.rootCount(keccak256("nope")), 0);
        assertFalse(rootOracle.isKnownRoot(keccak256("nope")));
        assertFalse(rootOracle.isKnownRoot(bytes32(0)));
    }

    function test_setPublisher_byGovernance_succeeds() public {
        vm.expectEmit(address(rootOracle));
        emit IL1RootOracle.PublisherChanged(bob);
        vm.prank(governance);
        rootOracle.setPublisher(bob);
        assertEq(rootOracle.publisher(), bob);
        vm.prank(publisher);
        vm.expectRevert(IL1RootOracle.NotPublisher.selector);
        rootOracle.publishRoot(keccak256("r"), 1);
        vm.prank(bob);
        rootOracle.publishRoot(keccak256("r"), 1);
    }

    function test_setPublisher_notGovernance_reverts() public {
        vm.prank(publisher);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        rootOracle.setPublisher(bob);
    }

    function test_setPublisher_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "publisher"));
        rootOracle.setPublisher(address(0));
    }

    function test_setGovernance_byGovernance_succeeds() public {
        vm.prank(governance);
        rootOracle.setGovernance(bob);
        assertEq(rootOracle.governance(), bob);
    }

    function test_setGovernance_notGovernance_reverts() public {
        vm.expectRevert(IGoverned.NotGovernance.selector);
        rootOracle.setGovernance(bob);
    }

    function test_setGovernance_zero_reverts() public {
        vm.prank(governance);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.InvalidParameters.selector, "governance"));
        rootOracle.setGovernance(address(0));
    }

    function test_upgradeToAndCall_byGovernance_succeeds() public {
        vm.prank(publisher);
        rootOracle.publishRoot(keccak256("r"), 1);
        address impl = address(new L1RootOracle());
        vm.prank(governance);
        rootOracle.upgradeToAndCall(impl, "");
        assertEq(rootOracle.rootCount(keccak256("r")), 1);
    }

    function test_upgradeToAndCall_notGovernance_reverts() public {
        address impl = address(new L1RootOracle());
        vm.prank(publisher);
        vm.expectRevert(IGoverned.NotGovernance.selector);
        rootOracle.upgradeToAndCall(impl, "");
    }
}
