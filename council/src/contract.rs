//! Exports in the form the Solidity `SecurityCouncil` takes (docs/council.md), and the challenge
//! computed independently of `frost-secp256k1-evm` so both sides can be checked against each other.

use frost_secp256k1_evm::keys::PublicKeyPackage;
use frost_secp256k1_evm::{Signature, VerifyingKey};
use k256::elliptic_curve::ops::Reduce;
use k256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use k256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar, U256};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

use crate::error::{CouncilError, Result};

/// Domain separation tag of H2 (the challenge hash).
pub const CHALLENGE_DST: &[u8] = b"FROST-secp256k1-KECCAK256-v1chal";

/// secp256k1 group order n, big-endian.
pub const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// A point as the contract sees it: affine coordinates and the 33-byte compressed encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractPoint {
    /// Affine x, big-endian.
    pub x: [u8; 32],
    /// Affine y, big-endian.
    pub y: [u8; 32],
    /// SEC1 compressed encoding (`02`/`03` || x).
    pub compressed: [u8; 33],
}

impl ContractPoint {
    /// Parses a 33-byte compressed SEC1 point (identity refused).
    pub fn from_compressed(bytes: &[u8]) -> Result<Self> {
        let ep = EncodedPoint::from_bytes(bytes)
            .map_err(|e| CouncilError::Encoding(format!("point: {e}")))?;
        let p: Option<AffinePoint> = AffinePoint::from_encoded_point(&ep).into();
        let p = p.ok_or_else(|| CouncilError::Encoding("point not on the curve".into()))?;
        Self::from_affine(&p)
    }

    /// From a k256 affine point (identity refused).
    pub fn from_affine(p: &AffinePoint) -> Result<Self> {
        let u = p.to_encoded_point(false);
        let (Some(x), Some(y)) = (u.x(), u.y()) else {
            return Err(CouncilError::Encoding("identity point".into()));
        };
        let c = p.to_encoded_point(true);
        let mut out = ContractPoint {
            x: [0; 32],
            y: [0; 32],
            compressed: [0; 33],
        };
        out.x.copy_from_slice(x);
        out.y.copy_from_slice(y);
        out.compressed.copy_from_slice(c.as_bytes());
        Ok(out)
    }

    /// Back to a k256 projective point.
    pub fn to_projective(&self) -> Result<ProjectivePoint> {
        let ep = EncodedPoint::from_bytes(self.compressed)
            .map_err(|e| CouncilError::Encoding(format!("point: {e}")))?;
        let p: Option<AffinePoint> = AffinePoint::from_encoded_point(&ep).into();
        p.map(ProjectivePoint::from)
            .ok_or_else(|| CouncilError::Encoding("point not on the curve".into()))
    }

    /// `true` if `x < n`, which the contract requires of the group key (ecrecover's `r`).
    pub fn x_below_order(&self) -> bool {
        self.x < CURVE_ORDER
    }
}

/// The group key in contract form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupKeyExport(pub ContractPoint);

impl GroupKeyExport {
    /// Exports a FROST group verifying key. Refuses a key with `x >= n`
    /// ([`CouncilError::GroupKeyXNotBelowOrder`]): the contract cannot use it, and the ceremony
    /// must be run again (trusted-dealer key generation in this crate re-draws automatically; the
    /// probability is about 2^-128).
    pub fn from_verifying_key(vk: &VerifyingKey) -> Result<Self> {
        let p = ContractPoint::from_compressed(&vk.serialize()?)?;
        if !p.x_below_order() {
            return Err(CouncilError::GroupKeyXNotBelowOrder);
        }
        Ok(GroupKeyExport(p))
    }

    /// JSON form `{x, y, compressed}` with 0x-hex strings.
    pub fn to_json(&self) -> GroupKeyJson {
        GroupKeyJson {
            x: hex0x(&self.0.x),
            y: hex0x(&self.0.y),
            compressed: hex0x(&self.0.compressed),
        }
    }
}

/// JSON form of the group key (docs/council.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupKeyJson {
    /// Affine x.
    pub x: String,
    /// Affine y.
    pub y: String,
    /// Compressed SEC1, 33 bytes.
    pub compressed: String,
}

/// A signature in contract form: `R` affine and `z`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureExport {
    /// The commitment `R`.
    pub r: ContractPoint,
    /// The response `z`, big-endian, `0 < z < n`.
    pub z: [u8; 32],
}

impl SignatureExport {
    /// Splits a FROST signature (33-byte `R` || 32-byte `z`).
    pub fn from_signature(sig: &Signature) -> Result<Self> {
        let bytes = sig.serialize()?;
        if bytes.len() != 65 {
            return Err(CouncilError::Encoding(format!(
                "signature of {} bytes",
                bytes.len()
            )));
        }
        let r = ContractPoint::from_compressed(&bytes[..33])?;
        let mut z = [0u8; 32];
        z.copy_from_slice(&bytes[33..]);
        Ok(SignatureExport { r, z })
    }
}

/// 0x-prefixed lower-case hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// 32 bytes from hex, with or without `0x`.
pub(crate) fn hex32(s: &str) -> Result<[u8; 32]> {
    let v = hex::decode(s.trim_start_matches("0x"))
        .map_err(|e| CouncilError::Encoding(format!("hex: {e}")))?;
    v.try_into()
        .map_err(|_| CouncilError::Encoding("expected 32 bytes".into()))
}

/// Keccak-256.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// `expand_message_xmd` (RFC 9380 section 5.3.1) over Keccak-256: `b_in_bytes = 32`,
/// `s_in_bytes = 136` (Keccak-256's block, hence the 136 zero bytes `Z_pad`).
pub fn expand_message_xmd_keccak(msg: &[u8], dst: &[u8], len_in_bytes: usize) -> Vec<u8> {
    assert!(dst.len() <= 255 && len_in_bytes <= 255 * 32 && len_in_bytes > 0);
    let ell = len_in_bytes.div_ceil(32);
    let mut dst_prime = dst.to_vec();
    dst_prime.push(dst.len() as u8);
    let mut h = Keccak256::new();
    h.update([0u8; 136]);
    h.update(msg);
    h.update((len_in_bytes as u16).to_be_bytes());
    h.update([0u8]);
    h.update(&dst_prime);
    let b0: [u8; 32] = h.finalize().into();
    let mut h = Keccak256::new();
    h.update(b0);
    h.update([1u8]);
    h.update(&dst_prime);
    let mut bi: [u8; 32] = h.finalize().into();
    let mut out = bi.to_vec();
    for i in 2..=ell {
        let mut x = [0u8; 32];
        for (k, v) in x.iter_mut().enumerate() {
            *v = b0[k] ^ bi[k];
        }
        let mut h = Keccak256::new();
        h.update(x);
        h.update([i as u8]);
        h.update(&dst_prime);
        bi = h.finalize().into();
        out.extend_from_slice(&bi);
    }
    out.truncate(len_in_bytes);
    out
}

/// Reduces a big-endian integer of at most 64 bytes modulo n.
fn reduce_be(bytes: &[u8]) -> Scalar {
    // value = hi * 2^256 + lo
    let mut padded = [0u8; 64];
    padded[64 - bytes.len()..].copy_from_slice(bytes);
    let hi = <Scalar as Reduce<U256>>::reduce(U256::from_be_slice(&padded[..32]));
    let lo = <Scalar as Reduce<U256>>::reduce(U256::from_be_slice(&padded[32..]));
    // 2^256 mod n = 2^256 - n
    let two_256 = <Scalar as Reduce<U256>>::reduce(U256::from_be_hex(
        "000000000000000000000000000000014551231950b75fc4402da1732fc9bebf",
    ));
    hi * two_256 + lo
}

/// The challenge `c = H2(R || PK || digest)` exactly as docs/council.md specifies: `R` and `PK`
/// as 33-byte compressed points, `expand_message_xmd` over Keccak-256 with DST
/// [`CHALLENGE_DST`], 48 bytes read big-endian and reduced mod n. Returned big-endian.
pub fn challenge(r_compressed: &[u8; 33], pk_compressed: &[u8; 33], digest: &[u8]) -> [u8; 32] {
    let mut msg = Vec::with_capacity(66 + digest.len());
    msg.extend_from_slice(r_compressed);
    msg.extend_from_slice(pk_compressed);
    msg.extend_from_slice(digest);
    let okm = expand_message_xmd_keccak(&msg, CHALLENGE_DST, 48);
    reduce_be(&okm).to_bytes().into()
}

/// Verifies a contract-form signature the way the contract does, in plain group arithmetic:
/// `0 < z < n`, `PK.x < n`, and `R == z*G - c*PK`.
pub fn verify_contract(pk: &GroupKeyExport, sig: &SignatureExport, digest: &[u8]) -> bool {
    if !pk.0.x_below_order() || sig.z >= CURVE_ORDER || sig.z == [0u8; 32] {
        return false;
    }
    let (Ok(pkp), Ok(rp)) = (pk.0.to_projective(), sig.r.to_projective()) else {
        return false;
    };
    let c = reduce_be(&challenge(&sig.r.compressed, &pk.0.compressed, digest));
    let z = reduce_be(&sig.z);
    ProjectivePoint::GENERATOR * z - pkp * c == rp
}

/// The public key package file: the group key in contract form and frost's public package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicFile {
    /// Group key in contract form.
    pub group_key: GroupKeyJson,
    /// Threshold.
    pub threshold: u16,
    /// frost `PublicKeyPackage`, hex.
    pub package: String,
}

impl PublicFile {
    /// From a public key package.
    pub fn new(public: &PublicKeyPackage, threshold: u16) -> Result<Self> {
        Ok(PublicFile {
            group_key: GroupKeyExport::from_verifying_key(public.verifying_key())?.to_json(),
            threshold,
            package: hex::encode(public.serialize()?),
        })
    }

    /// The frost public key package.
    pub fn package(&self) -> Result<PublicKeyPackage> {
        let raw = hex::decode(&self.package).map_err(|e| CouncilError::Encoding(e.to_string()))?;
        Ok(PublicKeyPackage::deserialize(&raw)?)
    }
}

/// A signature in contract form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFile {
    /// Digest, 0x-hex.
    pub digest: String,
    /// `R.x`.
    pub rx: String,
    /// `R.y`.
    pub ry: String,
    /// `z`.
    pub z: String,
    /// Signers.
    pub signers: Vec<u16>,
}

impl SignatureFile {
    /// From a verified signature in contract form.
    pub fn new(digest: &[u8], sig: &SignatureExport, signers: Vec<u16>) -> Self {
        SignatureFile {
            digest: hex0x(digest),
            rx: hex0x(&sig.r.x),
            ry: hex0x(&sig.r.y),
            z: hex0x(&sig.z),
            signers,
        }
    }

    /// Back to contract form; refuses an `R` off the curve.
    pub fn export(&self) -> Result<SignatureExport> {
        let x = hex32(&self.rx)?;
        let y = hex32(&self.ry)?;
        let mut compressed = [0u8; 33];
        compressed[0] = 2 + (y[31] & 1);
        compressed[1..].copy_from_slice(&x);
        let r = ContractPoint::from_compressed(&compressed)?;
        if r.y != y {
            return Err(CouncilError::Encoding(
                "signature R is not on the curve".into(),
            ));
        }
        Ok(SignatureExport {
            r,
            z: hex32(&self.z)?,
        })
    }
}
