// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

import {Fixture} from "./Fixture.sol";
import {FrostSigner} from "./FrostSigner.sol";
import {SecurityCouncil} from "../../src/SecurityCouncil.sol";
import {FrostVerifier} from "../../src/lib/FrostVerifier.sol";

/// @notice The full L1 system with a SecurityCouncil as the L1Bridge's pauser, the OutputOracle's council
/// and the governance (upgrade admin) of every proxy: the council's proxy address is predicted before the
/// bridge contracts are deployed. Signatures are made by FrostSigner under the group secret `GROUP_SK`
/// (digests computed here independently of the contract's `actionDigest`).
abstract contract CouncilFixture is Fixture {
    uint256 internal constant N = FrostVerifier.N;
    uint256 internal constant GROUP_SK = uint256(keccak256("drawbridge council group secret"));
    uint256 internal constant NEW_SK = uint256(keccak256("drawbridge council rotated secret"));

    uint64 internal constant FORCED_INCLUSION_WINDOW = 1 days;
    uint64 internal constant EXIT_WINDOW = 7 days;
    uint64 internal constant UPGRADE_DELAY = 9 days;
    uint64 internal constant DEADLINE_IN = 1 hours;

    bytes32 internal constant ACTION_TYPEHASH =
        keccak256("Action(uint8 kind,address target,bytes data,uint256 nonce,uint256 deadline)");

    SecurityCouncil internal sc;
    uint256 internal pkX;
    uint256 internal pkY;

    function setUp() public virtual override {
        // Fixture.setUp creates 4 implementations, 4 proxies and a token: the council's implementation is
        // the 10th creation from here, its proxy the 11th.
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 10);
        governance = predicted;
        council = predicted;
        super.setUp();
        (pkX, pkY) = FrostSigner.publicKey(GROUP_SK);
        require(pkX < N, "fixture: key x >= n");
        sc = deployCouncil(address(l1), address(oracle), pkX, pkY);
        require(address(sc) == predicted, "fixture: council prediction");
        vm.label(address(sc), "SecurityCouncil");
    }

    function defaultParams() internal pure returns (SecurityCouncil.Params memory) {
        return SecurityCouncil.Params({
            upgradeDelay: UPGRADE_DELAY,
            challengePeriod: CHALLENGE_PERIOD,
            forcedInclusionWindow: FORCED_INCLUSION_WINDOW,
            exitWindow: EXIT_WINDOW,
            maxPause: MAX_PAUSE,
            pauseCooldown: PAUSE_COOLDOWN,
            threshold: 9,
            members: 12,
            mainnet: false
        });
    }

    function deployCouncil(address bridge, address outputOracle, uint256 x, uint256 y)
        internal
        returns (SecurityCouncil)
    {
        address impl = address(new SecurityCouncil());
        return SecurityCouncil(
            address(
                new ERC1967Proxy(
                    impl,
                    abi.encodeCall(
                        SecurityCouncil.initialize,
                        (SecurityCouncil.InitParams({
                                groupKeyX: x,
                                groupKeyY: y,
                                l1Bridge: bridge,
                                outputOracle: outputOracle,
                                params: defaultParams()
                            }))
                    )
                )
            )
        );
    }

    /// @dev EIP-712 digest, computed here (not with the contract's helper).
    function digestFor(
        uint256 chainId,
        address verifyingContract,
        uint8 kind,
        address target,
        bytes memory data,
        uint256 nonce,
        uint256 deadline
    ) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("Drawbridge Security Council"),
                keccak256("1"),
                chainId,
                verifyingContract
            )
        );
        bytes32 structHash =
            keccak256(abi.encode(ACTION_TYPEHASH, kind, target, keccak256(data), nonce, deadline));
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    function toSig(FrostSigner.Sig memory s) internal pure returns (SecurityCouncil.Signature memory) {
        return SecurityCouncil.Signature({rx: s.rx, ry: s.ry, z: s.z});
    }

    /// @dev Signs an action for `sc` on the current chain with `GROUP_SK`.
    function signAction(uint8 kind, address target, bytes memory data, uint256 nonce, uint256 deadline)
        internal
        returns (SecurityCouncil.Signature memory)
    {
        return signActionWith(GROUP_SK, sc, kind, target, data, nonce, deadline);
    }

    function signActionWith(
        uint256 sk,
        SecurityCouncil c,
        uint8 kind,
        address target,
        bytes memory data,
        uint256 nonce,
        uint256 deadline
    ) internal returns (SecurityCouncil.Signature memory) {
        return toSig(
            FrostSigner.sign(sk, digestFor(block.chainid, address(c), kind, target, data, nonce, deadline))
        );
    }

    function soon() internal view returns (uint256) {
        return block.timestamp + DEADLINE_IN;
    }

    function councilPause(uint64 duration) internal {
        uint256 n = sc.nonce();
        uint256 d = soon();
        sc.pause(duration, n, d, signAction(1, address(l1), abi.encode(duration), n, d));
    }

    function councilUnpause() internal {
        uint256 n = sc.nonce();
        uint256 d = soon();
        sc.unpause(n, d, signAction(2, address(l1), "", n, d));
    }

    function councilSchedule(address target, bytes memory call) internal returns (bytes32 id) {
        uint256 n = sc.nonce();
        uint256 d = soon();
        id = sc.schedule(target, call, n, d, signAction(4, target, abi.encode(target, call), n, d));
        assertEq(id, keccak256(abi.encode(target, call, n)), "id");
    }

    function councilCancel(bytes32 id) internal {
        uint256 n = sc.nonce();
        uint256 d = soon();
        sc.cancel(id, n, d, signAction(5, address(sc), abi.encode(id), n, d));
    }

    /// @dev schedule, wait the delay, execute (by an arbitrary account).
    function councilRun(address target, bytes memory call) internal returns (bytes memory result) {
        bytes32 id = councilSchedule(target, call);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.prank(bob);
        result = sc.execute(id);
    }
}
