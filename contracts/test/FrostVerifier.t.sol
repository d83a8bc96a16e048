// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./utils/Test.sol";
import {FrostSigner} from "./utils/FrostSigner.sol";
import {FrostVerifier} from "../src/lib/FrostVerifier.sol";

/// @notice FrostVerifier against signatures made by the Rust crate `frost-secp256k1-evm` 3.0.0.
/// `test/vectors/frost-selfcheck.json` comes from the generator in `test/vectors/frostgen` (trusted dealer,
/// 9 of 12, fixed seed): `cargo run --release --manifest-path test/vectors/frostgen/Cargo.toml >
/// test/vectors/frost-selfcheck.json`; `test/vectors/frost-selfcheck-100.json` the same with
/// `FROSTGEN_THRESHOLD=75 FROSTGEN_MEMBERS=100` in the environment.
contract FrostVerifierTest is Test {
    uint256 private constant N = FrostVerifier.N;
    uint256 private constant P = FrostVerifier.P;
    string private constant SELFCHECK = "test/vectors/frost-selfcheck.json";
    /// @dev The same generator with `FROSTGEN_THRESHOLD=75 FROSTGEN_MEMBERS=100` (75 of 100).
    string private constant SELFCHECK_100 = "test/vectors/frost-selfcheck-100.json";

    struct Vec {
        bytes32 digest;
        uint256 rx;
        uint256 ry;
        uint256 z;
    }

    uint256 private pkX;
    uint256 private pkY;
    Vec[] private vecs;

    function setUp() public {
        _load(SELFCHECK);
    }

    function _load(string memory path) internal {
        string memory json = vm.readFile(path);
        pkX = vm.parseJsonUint(json, ".groupKey.x");
        pkY = vm.parseJsonUint(json, ".groupKey.y");
        delete vecs;
        for (uint256 i = 0; vm.keyExistsJson(json, _key(i, "")); i++) {
            vecs.push(
                Vec({
                    digest: vm.parseJsonBytes32(json, _key(i, ".digest")),
                    rx: vm.parseJsonUint(json, _key(i, ".rx")),
                    ry: vm.parseJsonUint(json, _key(i, ".ry")),
                    z: vm.parseJsonUint(json, _key(i, ".z"))
                })
            );
        }
    }

    function _key(uint256 i, string memory field) private pure returns (string memory) {
        return string.concat(".signatures[", vm.toString(i), "]", field);
    }

    function _verify(Vec memory v) private view returns (bool) {
        return FrostVerifier.verify(v.digest, pkX, pkY & 1, v.rx, v.ry, v.z);
    }

    function test_rustVectors_verify_succeeds() public view {
        assertTrue(vecs.length >= 4, "vectors");
        assertTrue(FrostVerifier.isOnCurve(pkX, pkY), "key on curve");
        for (uint256 i = 0; i < vecs.length; i++) {
            assertTrue(_verify(vecs[i]), "rust signature");
        }
    }

    /// @dev The council crate's shared vectors (docs/council.md), written by
    /// `cargo run -p drawbridge-council -- vectors --out contracts/test/vectors/frost-vectors.json` from the
    /// repository root. Fails if the file is missing (vm.readFile reverts) or empty.
    function test_councilCrateVectors_verify_succeeds() public {
        string memory json = vm.readFile("test/vectors/frost-vectors.json");
        assertEq(vm.parseJsonUint(json, ".version"), 1, "version");
        _load("test/vectors/frost-vectors.json");
        assertTrue(vecs.length > 0, "no signatures");
        assertTrue(pkX < N, "key x < n");
        assertTrue(FrostVerifier.isOnCurve(pkX, pkY), "key on curve");
        bytes memory compressed = vm.parseJsonBytes(json, ".groupKey.compressed");
        assertEq(compressed, abi.encodePacked(uint8(2 + (pkY & 1)), pkX), "compressed key");
        uint256 t = vm.parseJsonUint(json, ".threshold");
        for (uint256 i = 0; i < vecs.length; i++) {
            assertTrue(_verify(vecs[i]), string.concat("council crate signature ", vm.toString(i)));
            // and each one fails once tampered
            Vec memory v = vecs[i];
            v.z = addmod(v.z, 1, N);
            assertTrue(!_verify(v), "tampered");
            uint256[] memory signers = vm.parseJsonUintArray(json, _key(i, ".signers"));
            assertTrue(signers.length >= t, "at least t signers");
        }
    }

    /// @dev A 75-of-100 council's signatures verify exactly like a 9-of-12 council's: the contract only ever
    /// sees one group key and one `(R, z)`.
    function test_rustVectors100Members_verify_succeeds() public {
        string memory json = vm.readFile(SELFCHECK_100);
        assertEq(vm.parseJsonUint(json, ".members"), 100, "members");
        assertEq(vm.parseJsonUint(json, ".threshold"), 75, "threshold");
        _load(SELFCHECK_100);
        assertTrue(vecs.length >= 4, "vectors");
        for (uint256 i = 0; i < vecs.length; i++) {
            assertTrue(_verify(vecs[i]), "75-of-100 signature");
            assertEq(vm.parseJsonUintArray(json, _key(i, ".signers")).length, 75, "signers");
        }
    }

    /// @dev Verification costs the same gas for a 12-member and a 100-member council (every signature of
    /// both files, execution only: calldata differs only by the zero bytes of `(rx, ry, z)`).
    function test_verify_gasIndependentOfCouncilSize_succeeds() public {
        uint256 gas12 = _verifyGas();
        _load(SELFCHECK_100);
        uint256 gas100 = _verifyGas();
        emit log_named_uint("FrostVerifier.verify, 9 of 12 (execution gas)", gas12);
        emit log_named_uint("FrostVerifier.verify, 75 of 100 (execution gas)", gas100);
        assertEq(gas12, gas100, "gas differs with the council size");
    }

    /// @dev The gas of `verify` on every loaded vector, required to be the same for each. Nothing allocates
    /// memory between the calls and a first call expands memory, so every measured call starts from the same
    /// memory size (verify's scratch space sits at the free memory pointer).
    function _verifyGas() private view returns (uint256) {
        (uint256 x, uint256 parity) = (pkX, pkY & 1);
        uint256 count = vecs.length;
        uint256[] memory used = new uint256[](count);
        bool[] memory ok = new bool[](count);
        FrostVerifier.verify(vecs[0].digest, x, parity, vecs[0].rx, vecs[0].ry, vecs[0].z);
        for (uint256 i = 0; i < count; i++) {
            (bytes32 d, uint256 rx, uint256 ry, uint256 z) =
                (vecs[i].digest, vecs[i].rx, vecs[i].ry, vecs[i].z);
            uint256 before = gasleft();
            ok[i] = FrostVerifier.verify(d, x, parity, rx, ry, z);
            used[i] = before - gasleft();
        }
        for (uint256 i = 0; i < count; i++) {
            assertTrue(ok[i], "signature");
            assertEq(used[i], used[0], "gas differs between signatures");
        }
        return used[0];
    }

    function test_verify_zZero_fails() public view {
        Vec memory v = vecs[0];
        v.z = 0;
        assertTrue(!_verify(v), "z = 0");
    }

    function test_verify_zEqualN_fails() public view {
        Vec memory v = vecs[0];
        v.z = N;
        assertTrue(!_verify(v), "z = n");
    }

    function test_verify_zAboveN_fails() public view {
        Vec memory v = vecs[1];
        v.z = type(uint256).max;
        assertTrue(!_verify(v), "z = 2^256 - 1");
    }

    function test_verify_rOffCurve_fails() public view {
        Vec memory v = vecs[0];
        v.ry = addmod(v.ry, 1, P);
        assertTrue(!_verify(v), "R off curve");
    }

    function test_verify_rxNotReduced_fails() public pure {
        // (x + p, y) names the same residue class but is not a canonical point.
        assertTrue(
            FrostVerifier.isOnCurve(1, 0x4218f20ae6c646b363db68605822fb14264ca8d2587fdd6fbc750d587e76a7ee),
            "x=1"
        );
        assertTrue(
            !FrostVerifier.isOnCurve(
                1 + P, 0x4218f20ae6c646b363db68605822fb14264ca8d2587fdd6fbc750d587e76a7ee
            ),
            "x+p"
        );
    }

    function test_verify_rWrongParity_fails() public view {
        // (rx, p - ry) is on the curve: the other point with R's x.
        Vec memory v = vecs[0];
        v.ry = P - v.ry;
        assertTrue(FrostVerifier.isOnCurve(v.rx, v.ry), "negated R on curve");
        assertTrue(!_verify(v), "wrong R parity");
    }

    function test_verify_keyWrongParity_fails() public view {
        Vec memory v = vecs[0];
        assertTrue(!FrostVerifier.verify(v.digest, pkX, (pkY & 1) ^ 1, v.rx, v.ry, v.z), "wrong key parity");
    }

    function test_verify_otherDigest_fails() public view {
        Vec memory v = vecs[0];
        v.digest = vecs[1].digest;
        assertTrue(!_verify(v), "other digest");
    }

    function test_verify_otherKey_fails() public {
        (uint256 x, uint256 y) = FrostSigner.publicKey(7);
        Vec memory v = vecs[0];
        assertTrue(!FrostVerifier.verify(v.digest, x, y & 1, v.rx, v.ry, v.z), "other key");
    }

    function test_verify_keyXAtLeastN_fails() public view {
        Vec memory v = vecs[0];
        assertTrue(!FrostVerifier.verify(v.digest, N, pkY & 1, v.rx, v.ry, v.z), "pk.x = n");
        assertTrue(!FrostVerifier.verify(v.digest, N + 1, pkY & 1, v.rx, v.ry, v.z), "pk.x > n");
        assertTrue(!FrostVerifier.verify(v.digest, 0, pkY & 1, v.rx, v.ry, v.z), "pk.x = 0");
    }

    function test_verify_zTampered_fails() public view {
        Vec memory v = vecs[2];
        v.z = addmod(v.z, 1, N);
        assertTrue(!_verify(v), "z + 1");
    }

    /// @dev The challenge is an independent re-implementation: pin it on the first vector via the
    /// verification equation (a wrong challenge fails every Rust vector above), and check it against a
    /// straight-line Solidity expand_message_xmd.
    function testFuzz_challenge_matchesReference(uint256 rx, uint256 pkx, bytes32 digest, uint8 parities)
        public
        pure
    {
        uint256 rp = parities & 1;
        uint256 kp = (parities >> 1) & 1;
        assertTrue(
            FrostVerifier.challenge(rx, rp, pkx, kp, digest) == _refChallenge(rx, rp, pkx, kp, digest),
            "challenge"
        );
    }

    function test_challenge_matchesReference() public pure {
        testFuzz_challenge_matchesReference(1, 2, bytes32(uint256(3)), 2);
    }

    function _refChallenge(uint256 rx, uint256 rp, uint256 pkx, uint256 kp, bytes32 digest)
        private
        pure
        returns (uint256)
    {
        bytes memory dstPrime = abi.encodePacked("FROST-secp256k1-KECCAK256-v1chal", uint8(32));
        bytes memory msg_ = abi.encodePacked(uint8(2 + rp), rx, uint8(2 + kp), pkx, digest);
        bytes32 b0 = keccak256(abi.encodePacked(new bytes(136), msg_, uint16(48), uint8(0), dstPrime));
        bytes32 b1 = keccak256(abi.encodePacked(b0, uint8(1), dstPrime));
        bytes32 b2 = keccak256(abi.encodePacked(b0 ^ b1, uint8(2), dstPrime));
        bytes memory okm = abi.encodePacked(b1, bytes16(b2));
        uint256 hi;
        uint256 lo;
        assembly {
            hi := shr(128, mload(add(okm, 0x20))) // first 16 bytes
            lo := mload(add(okm, 0x30)) // last 32 bytes
        }
        // value = hi * 2^256 + lo
        return addmod(mulmod(hi, mulmod(1 << 128, 1 << 128, N), N), lo % N, N);
    }

    function testFuzz_verify_localSigner(uint256 sk, bytes32 digest) public {
        sk = bound(sk, 1, N - 1);
        (uint256 x, uint256 y) = FrostSigner.publicKey(sk);
        vm.assume(x < N);
        FrostSigner.Sig memory s = FrostSigner.sign(sk, digest);
        assertTrue(FrostVerifier.verify(digest, x, y & 1, s.rx, s.ry, s.z), "valid");
        assertTrue(!FrostVerifier.verify(digest ^ bytes32(uint256(1)), x, y & 1, s.rx, s.ry, s.z), "digest");
    }

    function test_verify_localSigner() public {
        testFuzz_verify_localSigner(42, keccak256("x"));
    }
}
