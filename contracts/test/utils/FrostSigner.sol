// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Vm.sol";
import {FrostVerifier} from "../../src/lib/FrostVerifier.sol";

/// @notice A single-key Schnorr signer producing signatures of the FROST(secp256k1, KECCAK256) form
/// (`R = k*G`, `z = k + c*sk`, `c` the FROST challenge). A threshold signature is exactly such a signature
/// under the group key, so the council tests sign with this; that the challenge and the check agree with
/// the Rust crate `frost-secp256k1-evm` is shown by the committed vectors (FrostVerifier.t.sol).
/// Points come from the `createWallet` cheatcode (k*G).
library FrostSigner {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct Sig {
        uint256 rx;
        uint256 ry;
        uint256 z;
    }

    /// @notice The group key of secret `sk`: (x, y).
    function publicKey(uint256 sk) internal returns (uint256 x, uint256 y) {
        Vm.Wallet memory w = vm.createWallet(sk);
        return (w.publicKeyX, w.publicKeyY);
    }

    function sign(uint256 sk, bytes32 digest) internal returns (Sig memory s) {
        return sign(sk, digest, 0);
    }

    /// @notice Signs `digest` with the deterministic nonce derived from (sk, digest, salt).
    function sign(uint256 sk, bytes32 digest, uint256 salt) internal returns (Sig memory s) {
        (uint256 pkX, uint256 pkY) = publicKey(sk);
        uint256 k = uint256(keccak256(abi.encode(sk, digest, salt))) % FrostVerifier.N;
        if (k == 0) k = 1;
        Vm.Wallet memory r = vm.createWallet(k);
        uint256 c = FrostVerifier.challenge(r.publicKeyX, r.publicKeyY & 1, pkX, pkY & 1, digest);
        s = Sig(r.publicKeyX, r.publicKeyY, addmod(k, mulmod(c, sk, FrostVerifier.N), FrostVerifier.N));
    }
}
