//! The devnet's council as its members get it: the key packages, identities, address book and
//! public key file written in the council crate's file formats sign real actions that the L1
//! `SecurityCouncil` accepts, with 9 of the 12 members; 8 cannot produce a signature.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::eips::BlockNumberOrTag;
use alloy::network::{Ethereum, EthereumWallet};
use alloy::primitives::{B256, Bytes, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder};
use alloy::sol_types::SolValue;
use drawbridge_bindings::{IL1Bridge, SecurityCouncil};
use drawbridge_council::action::{Action, Domain};
use drawbridge_council::contract::{SignatureExport, hex0x, verify_contract};
use drawbridge_council::files::{self, PublicFile, Secrets};
use drawbridge_council::frost::keys::{KeyPackage, PublicKeyPackage};
use drawbridge_council::signing::{self, GroupKeys};
use drawbridge_council::{CouncilError, frost};
use drawbridge_devnet::{
    CouncilFiles, DEVNET_KDF, Devnet, DevnetOptions, Governance, contract_signature,
};
use rand_core::OsRng;

const PASSPHRASE: &str = "devnet council test";

async fn devnet_with_files(dir: &Path) -> (Devnet, CouncilFiles) {
    let files = CouncilFiles {
        dir: dir.join("council"),
        passphrase: PASSPHRASE.into(),
    };
    let devnet = Devnet::start(DevnetOptions {
        governance: Governance::Council {
            files: Some(files.clone()),
        },
        ..DevnetOptions::default()
    })
    .await
    .unwrap();
    (devnet, files)
}

fn l1_as(devnet: &Devnet, index: usize) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(devnet.accounts.users[index].clone()))
        .connect_http(devnet.l1.endpoint_url())
        .erased()
}

/// Waits for a sent transaction's receipt and asserts it succeeded.
async fn assert_mined(pending: PendingTransactionBuilder<Ethereum>) {
    assert!(pending.get_receipt().await.unwrap().status());
}

async fn now(l1: &DynProvider) -> u64 {
    l1.get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

/// Every written key package, read with the council crate as a member's CLI reads it.
fn read_written_keys(files: &CouncilFiles) -> GroupKeys {
    let secrets = Secrets {
        passphrase: &files.passphrase,
        params: DEVNET_KDF,
    };
    let public: PublicFile = files::read_json(&files.dir.join("public.json")).unwrap();
    assert_eq!(public.threshold, 9);
    let mut key_packages = BTreeMap::new();
    for id in 1..=12u16 {
        let kp = secrets
            .key_package(&files.dir.join(format!("key-{id}.json")))
            .unwrap();
        key_packages.insert(id, kp);
    }
    GroupKeys {
        key_packages,
        public: public.package().unwrap(),
    }
}

#[tokio::test]
async fn nine_written_key_packages_pause_the_bridge_and_eight_cannot_sign() {
    let dir = tempfile::tempdir().unwrap();
    let (devnet, files) = devnet_with_files(dir.path()).await;
    let deployed = devnet.deployment.council.unwrap();
    let keys = read_written_keys(&files);
    let key = keys.export().unwrap();
    assert_eq!(U256::from_be_bytes(key.0.x), deployed.group_key.x);
    assert_eq!(U256::from_be_bytes(key.0.y), deployed.group_key.y);
    let public: PublicFile = files::read_json(&files.dir.join("public.json")).unwrap();
    assert_eq!(public.group_key.x, hex0x(&key.0.x));
    // A wrong passphrase opens nothing.
    let wrong = Secrets {
        passphrase: "not the passphrase",
        params: DEVNET_KDF,
    };
    assert!(matches!(
        wrong.key_package(&files.dir.join("key-1.json")),
        Err(CouncilError::WrongPassphrase(_))
    ));

    let l1 = l1_as(&devnet, 0);
    let council = SecurityCouncil::new(deployed.l1, &l1);
    let bridge = IL1Bridge::new(devnet.deployment.l1.l1_bridge, &l1);
    let duration: u64 = 20;
    let deadline = U256::from(now(&l1).await + 3600);
    let digest = council
        .actionDigest(
            1,
            devnet.deployment.l1.l1_bridge,
            Bytes::from(duration.abi_encode()),
            U256::ZERO,
            deadline,
        )
        .call()
        .await
        .unwrap();

    // Eight signers: FROST refuses to sign with fewer than the threshold...
    let eight = [2u16, 3, 5, 6, 7, 8, 10, 11];
    assert!(signing::sign_in_memory(&keys, &eight, digest.as_slice(), &mut OsRng).is_err());
    // ...and with the bookkeeping lowered (every package claiming t = 8), eight valid shares still
    // do not combine into a signature under the group key.
    let lowered = GroupKeys {
        key_packages: keys
            .key_packages
            .iter()
            .map(|(id, kp)| {
                let kp = KeyPackage::new(
                    *kp.identifier(),
                    *kp.signing_share(),
                    *kp.verifying_share(),
                    *kp.verifying_key(),
                    8,
                );
                (*id, kp)
            })
            .collect(),
        public: PublicKeyPackage::new(
            keys.public.verifying_shares().clone(),
            *keys.public.verifying_key(),
            Some(8),
        ),
    };
    let err = signing::sign_in_memory(&lowered, &eight, digest.as_slice(), &mut OsRng).unwrap_err();
    assert!(
        matches!(err, CouncilError::Frost(frost::Error::InvalidSignature)),
        "{err:?}"
    );
    assert_eq!(council.nonce().call().await.unwrap(), U256::ZERO);

    // Nine of the twelve written key packages sign; the L1 council accepts and pauses the bridge.
    let nine = [2u16, 3, 5, 6, 7, 8, 10, 11, 12];
    let sig = signing::sign_in_memory(&keys, &nine, digest.as_slice(), &mut OsRng).unwrap();
    let export = SignatureExport::from_signature(&sig).unwrap();
    assert!(verify_contract(&key, &export, digest.as_slice()));
    assert!(bridge.pausedUntil().call().await.unwrap() <= now(&l1).await);
    let sent = council
        .pause(duration, U256::ZERO, deadline, contract_signature(&export))
        .send()
        .await;
    assert_mined(sent.unwrap()).await;
    let until = council.pausedUntil().call().await.unwrap();
    assert_eq!(bridge.pausedUntil().call().await.unwrap(), until);
    assert!(until > now(&l1).await, "the bridge is paused");
    assert_eq!(council.nonce().call().await.unwrap(), U256::from(1));
    // The same signature does not act twice.
    assert!(
        council
            .pause(duration, U256::ZERO, deadline, contract_signature(&export))
            .call()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn file_mode_ceremony_on_the_written_files_unpauses() {
    let dir = tempfile::tempdir().unwrap();
    let (devnet, files) = devnet_with_files(dir.path()).await;
    let deployed = devnet.deployment.council.unwrap();
    let until = devnet.council_pause(20).await.unwrap();
    let l1 = l1_as(&devnet, 1);
    assert!(until > now(&l1).await);

    // Members 4..12 unpause in file mode, each step what the council CLI's subcommand does
    // (sign-commit, sign-request, sign-share, aggregate) on the files the devnet wrote.
    let council = SecurityCouncil::new(deployed.l1, &l1);
    let bridge_address = devnet.deployment.l1.l1_bridge;
    let nonce = council.nonce().call().await.unwrap();
    assert_eq!(nonce, U256::from(1));
    let deadline = U256::from(now(&l1).await + 3600);
    let digest: B256 = council
        .actionDigest(2, bridge_address, Bytes::new(), nonce, deadline)
        .call()
        .await
        .unwrap();
    let c = &files.dir;
    let session = c.join("unpause-1");
    let secrets = Secrets {
        passphrase: &files.passphrase,
        params: DEVNET_KDF,
    };
    let chain_id = l1.get_chain_id().await.unwrap();
    let action = Action::unpause(
        Domain {
            chain_id,
            council: deployed.l1,
        },
        bridge_address,
        nonce.saturating_to(),
        deadline.saturating_to(),
    );
    assert_eq!(action.digest(), digest, "the Rust digest is the contract's");
    std::fs::create_dir_all(&session).unwrap();
    files::write_json(&session.join("action.json"), &action).unwrap();
    let signers: Vec<u16> = (4..=12).collect();
    let book = c.join("book.json");
    let request = session.join("request.json");
    files::sign_request(
        &c.join("identity-4.json"),
        &secrets,
        &book,
        "unpause-1",
        &session.join("action.json"),
        &c.join("public.json"),
        &signers,
        &request,
    )
    .unwrap();
    let member_files = |id: &u16| {
        let name = |prefix: &str, ext: &str| c.join(format!("{prefix}-{id}{ext}"));
        (
            name("identity", ".json"),
            name("key", ".json"),
            name("nonces", ""),
        )
    };
    let paths: Vec<(PathBuf, PathBuf, PathBuf)> = signers.iter().map(member_files).collect();
    let signer = |i: usize| files::Signer {
        identity: &paths[i].0,
        key: &paths[i].1,
        secrets: &secrets,
        nonce_dir: &paths[i].2,
        book: &book,
    };
    for (p, id) in signers.iter().enumerate() {
        files::sign_commit(
            &signer(p),
            &request,
            |_| Ok(true),
            &session.join("commitments").join(format!("{id}.json")),
            &mut OsRng,
        )
        .unwrap();
    }
    let package = session.join("package.json");
    files::sign_package(&book, &request, &session.join("commitments"), &package).unwrap();
    for (p, id) in signers.iter().enumerate() {
        let own = session.join("commitments").join(format!("{id}.json"));
        files::sign_share(
            &signer(p),
            &request,
            (&own, &package),
            |_| Ok(true),
            &session.join("shares").join(format!("{id}.json")),
        )
        .unwrap();
    }
    let signed = files::aggregate(
        &book,
        &request,
        &package,
        &session.join("shares"),
        &session.join("signed.json"),
    )
    .unwrap();
    assert_eq!(signed.signature.signers, signers);
    // What `drawbridge-council submit` sends: the entry point's calldata, from any account.
    let tx = alloy::rpc::types::TransactionRequest::default()
        .to(deployed.l1)
        .input(signed.calldata.clone().into());
    assert_mined(l1.send_transaction(tx).await.unwrap()).await;
    let bridge = IL1Bridge::new(bridge_address, &l1);
    assert!(bridge.pausedUntil().call().await.unwrap() <= now(&l1).await);
    assert_eq!(council.nonce().call().await.unwrap(), U256::from(2));
}
