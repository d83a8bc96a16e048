//! A real coordinator (axum over HTTP on localhost, SQLite in a temp dir) and in-process members
//! with real FROST keys and on-disk nonce stores.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::Address;
use axum::Router;
use drawbridge_council::action::{Action, Domain, unix_now};
use drawbridge_council::coordinator::{Coordinator, CoordinatorConfig, Submission};
use drawbridge_council::files::PublicFile;
use drawbridge_council::frost::keys::KeyPackage;
use drawbridge_council::identity::{AddressBook, MemberSecret};
use drawbridge_council::member::{self, Client, SignOutcome};
use drawbridge_council::nonces::NonceStore;
use drawbridge_council::signing::{GroupKeys, trusted_dealer};
use drawbridge_council::{CouncilError, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, SeedableRng};

/// How long members wait for each step in tests.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(20);

pub fn clone_secret(m: &MemberSecret) -> MemberSecret {
    MemberSecret::from_bytes(&m.to_bytes().unwrap()).unwrap()
}

pub fn council(n: u16, seed: u8) -> (Vec<Arc<MemberSecret>>, AddressBook) {
    let mut rng = ChaCha20Rng::from_seed([seed; 32]);
    let members: Vec<Arc<MemberSecret>> = (1..=n)
        .map(|i| Arc::new(MemberSecret::generate(i, &format!("member{i}"), &mut rng).unwrap()))
        .collect();
    let book = AddressBook::new(members.iter().map(|m| m.public()).collect()).unwrap();
    (members, book)
}

pub struct CoordinatorHarness {
    pub url: String,
    pub client: Client,
    pub coordinator: Coordinator,
    pub members: Vec<Arc<MemberSecret>>,
    pub book: AddressBook,
    pub dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for CoordinatorHarness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts a coordinator for `n` members; `wrap` may put a (malicious) layer around its routes.
pub async fn start(
    n: u16,
    seed: u8,
    submission: Option<Submission>,
    wrap: impl FnOnce(Router) -> Router,
) -> CoordinatorHarness {
    let (members, book) = council(n, seed);
    let dir = tempfile::tempdir().unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("coordinator.sqlite").display()
    );
    let coordinator = Coordinator::open(CoordinatorConfig {
        book: book.clone(),
        database_url: db,
        submission,
    })
    .await
    .unwrap();
    let router = wrap(coordinator.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Served as `Coordinator::serve` serves, within the coordinator's HTTP limits.
    let server = tokio::spawn(drawbridge_service::http::serve(
        listener,
        router,
        drawbridge_council::coordinator::http_limits(),
        std::future::pending(),
    ));
    CoordinatorHarness {
        client: Client::new(&url).unwrap(),
        url,
        coordinator,
        members,
        book,
        dir,
        server,
    }
}

/// One signer: identity, key package and its own nonce store directory.
#[derive(Clone)]
pub struct Signer {
    pub member: Arc<MemberSecret>,
    pub key: KeyPackage,
    pub nonces: NonceStore,
}

impl Signer {
    /// Runs `member::sign` on `session`, answering `confirm` at the prompt.
    pub async fn sign(
        &self,
        client: &Client,
        book: &AddressBook,
        session: &str,
        confirm: bool,
        timeout: Duration,
    ) -> Result<SignOutcome> {
        member::sign(
            client,
            &self.member,
            book,
            &self.key,
            &self.nonces,
            session,
            |_| Ok(confirm),
            timeout,
            &mut OsRng,
        )
        .await
    }
}

impl CoordinatorHarness {
    pub fn signers(&self, keys: &GroupKeys) -> Vec<Signer> {
        self.members
            .iter()
            .map(|m| Signer {
                member: m.clone(),
                key: keys.key_packages[&m.id].clone(),
                nonces: NonceStore::open(self.dir.path().join(format!("nonces-{}", m.id))).unwrap(),
            })
            .collect()
    }

    pub fn member(&self, id: u16) -> &MemberSecret {
        &self.members[usize::from(id) - 1]
    }

    /// Creates a signing session requested by member 1.
    pub async fn create_sign(
        &self,
        session: &str,
        action: &Action,
        signers: &[u16],
        keys: &GroupKeys,
    ) {
        let public = PublicFile::new(&keys.public, *keys.key_packages[&1].min_signers()).unwrap();
        let req = member::sign_request(
            self.member(1),
            &self.book,
            session,
            action,
            signers,
            &public,
        )
        .unwrap();
        self.client.create_sign(&req).await.unwrap();
    }
}

pub fn dealer(t: u16, n: u16, seed: u8) -> GroupKeys {
    trusted_dealer(t, n, &mut ChaCha20Rng::from_seed([seed; 32])).unwrap()
}

pub fn domain() -> Domain {
    Domain {
        chain_id: 900,
        council: Address::repeat_byte(0xc0),
    }
}

pub fn pause(duration: u64, nonce: u64) -> Action {
    Action::pause(
        domain(),
        Address::repeat_byte(0xb1),
        duration,
        nonce,
        unix_now() + 3_600,
    )
}

/// Runs `member::sign` for each signer concurrently (confirming everything, as `--yes`).
pub async fn sign_all(
    client: &Client,
    book: &AddressBook,
    signers: &[Signer],
    session: &str,
) -> Vec<Result<SignOutcome>> {
    let mut tasks = Vec::new();
    for s in signers {
        let (client, book, s, session) =
            (client.clone(), book.clone(), s.clone(), session.to_string());
        tasks.push(tokio::spawn(async move {
            s.sign(&client, &book, &session, true, STEP_TIMEOUT).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

pub fn claimed(s: &Signer) -> usize {
    s.nonces.claimed().unwrap().len()
}

/// Asserts every result is an error matching `pred`, printing them otherwise.
pub fn all_refused(
    results: &[Result<SignOutcome>],
    pred: impl Fn(u16, &CouncilError) -> bool,
    ids: &[u16],
) {
    for (id, r) in ids.iter().zip(results) {
        match r {
            Err(e) if pred(*id, e) => {}
            other => panic!("member {id}: unexpected {other:?}"),
        }
    }
}
