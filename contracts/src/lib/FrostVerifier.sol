// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title FROST(secp256k1, KECCAK256) signature verification.
/// @notice Verifies a Schnorr signature `(R, z)` as produced by the crate `frost-secp256k1-evm` (RFC 9591
/// structure): `c = H2(R || PK || digest)` with `H2` = `expand_message_xmd` over Keccak-256 (RFC 9380,
/// zero pad of Keccak's 136-byte block), DST `FROST-secp256k1-KECCAK256-v1chal`, 48 output bytes read
/// big-endian and reduced mod n; `R` and `PK` as 33-byte compressed SEC1 points. Then `R == z*G - c*PK`
/// is checked with one `ecrecover` (docs/council.md): `ecrecover(h = -z*PK.x, v = 27 + parity(PK.y),
/// r = PK.x, s = -c*PK.x)` recovers the address of `PK.x^-1 (s*PK - h*G) = z*G - c*PK`.
library FrostVerifier {
    /// @notice secp256k1 group order n.
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    /// @notice secp256k1 field prime p.
    uint256 internal constant P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f;

    /// @dev "FROST-secp256k1-KECCAK256-v1chal" (32 bytes) followed by I2OSP(32, 1): DST_prime.
    bytes32 private constant DST = "FROST-secp256k1-KECCAK256-v1chal";

    /// @notice Whether `(x, y)` is an affine point of secp256k1 (coordinates below p, y^2 = x^3 + 7).
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        return mulmod(y, y, P) == addmod(mulmod(mulmod(x, x, P), x, P), 7, P);
    }

    /// @notice The FROST challenge `c = H2(R || PK || digest)` reduced mod n.
    /// @param rx R's x coordinate. @param rParity R.y & 1. @param pkX the group key's x coordinate.
    /// @param pkParity PK.y & 1. @param digest the 32-byte signed message.
    function challenge(uint256 rx, uint256 rParity, uint256 pkX, uint256 pkParity, bytes32 digest)
        internal
        pure
        returns (uint256 c)
    {
        bytes32 dst = DST;
        assembly ("memory-safe") {
            let m := mload(0x40)
            // msg_prime = Z_pad(136) || R(33) || PK(33) || digest(32) || I2OSP(48, 2) || 0x00 || DST_prime(33)
            mstore(m, 0)
            mstore(add(m, 0x20), 0)
            mstore(add(m, 0x40), 0)
            mstore(add(m, 0x60), 0)
            mstore(add(m, 0x80), 0) // zero pad: bytes 0..135 (the word at 0x80 is partly overwritten)
            mstore8(add(m, 136), add(2, and(rParity, 1)))
            mstore(add(m, 137), rx)
            mstore8(add(m, 169), add(2, and(pkParity, 1)))
            mstore(add(m, 170), pkX)
            mstore(add(m, 202), digest)
            // 234: 0x00 0x30 (48), 236: 0x00, 237..268: DST, 269: 0x20
            mstore(add(m, 234), 0)
            mstore8(add(m, 235), 48)
            mstore(add(m, 237), dst)
            mstore8(add(m, 269), 32)
            let b0 := keccak256(m, 270)
            // b_1 = H(b_0 || 0x01 || DST_prime)
            mstore(m, b0)
            mstore8(add(m, 32), 1)
            mstore(add(m, 33), dst)
            mstore8(add(m, 65), 32)
            let b1 := keccak256(m, 66)
            // b_2 = H((b_0 xor b_1) || 0x02 || DST_prime)
            mstore(m, xor(b0, b1))
            mstore8(add(m, 32), 2)
            let b2 := keccak256(m, 66)
            // uniform = b_1 || b_2[0..16]: 48 bytes big-endian = b1 * 2^128 + (b2 >> 128), mod n.
            c := addmod(mulmod(b1, shl(128, 1), N), shr(128, b2), N)
        }
    }

    /// @notice Verifies `(R, z)` over `digest` under the group key `(pkX, parity pkParity)`.
    /// @dev Returns false for `z == 0`, `z >= n`, `R` off the curve, `pkX == 0` or `pkX >= n`. The caller
    /// must have checked that the key is a curve point (done whenever a key is stored). The `ecrecover`
    /// precompile is called directly (no memory allocation): on a malformed input it returns no data, so
    /// its output word is cleared first and a zero result is refused.
    function verify(bytes32 digest, uint256 pkX, uint256 pkParity, uint256 rx, uint256 ry, uint256 z)
        internal
        view
        returns (bool ok)
    {
        // One branch for every range check and the curve equation of R: 0 < z < n, 0 < pkX < n (x - 1 < n - 1
        // unsigned), rx, ry < p, ry^2 == rx^3 + 7.
        bool valid;
        assembly ("memory-safe") {
            valid := and(
                and(lt(sub(z, 1), sub(N, 1)), lt(sub(pkX, 1), sub(N, 1))),
                and(
                    and(lt(rx, P), lt(ry, P)),
                    eq(mulmod(ry, ry, P), addmod(mulmod(mulmod(rx, rx, P), rx, P), 7, P))
                )
            )
        }
        if (!valid) return false;
        uint256 c = challenge(rx, ry & 1, pkX, pkParity, digest);
        // c == 0 would need s = n, which ecrecover rejects (returns no data); z != 0 and pkX != 0 mod the
        // prime n make h non-zero.
        assembly ("memory-safe") {
            mstore(0x00, rx)
            mstore(0x20, ry)
            let expected := and(keccak256(0x00, 0x40), 0xffffffffffffffffffffffffffffffffffffffff)
            let m := mload(0x40)
            mstore(m, sub(N, mulmod(z, pkX, N))) // h
            mstore(add(m, 0x20), add(27, and(pkParity, 1))) // v
            mstore(add(m, 0x40), pkX) // r
            mstore(add(m, 0x60), sub(N, mulmod(c, pkX, N))) // s
            mstore(0x00, 0)
            let success := staticcall(gas(), 1, m, 0x80, 0x00, 0x20)
            let recovered := mload(0x00)
            ok := and(and(success, iszero(iszero(recovered))), eq(recovered, expected))
        }
    }
}
