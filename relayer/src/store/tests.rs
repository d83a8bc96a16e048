//! Every test runs on SQLite and on PostgreSQL (see [`crate::testing`]).

use super::*;
use alloy::primitives::keccak256;
use drawbridge_protocol::{MerkleTree, MessageKind};

/// A fresh database of one backend for one test.
struct TestDb {
    url: String,
    backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    async fn new(backend: Backend, label: &str) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("r.sqlite").display()
                );
                Some(Self {
                    url,
                    backend,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let url = crate::testing::fresh_postgres_database(label).await?;
                Some(Self {
                    url,
                    backend,
                    _dir: None,
                })
            }
        }
    }

    async fn open(&self) -> Store {
        let store = Store::open(&self.url).await.unwrap();
        assert_eq!(store.backend(), self.backend);
        store
    }

    async fn finish(self) {
        if self.backend == Backend::Postgres {
            crate::testing::drop_postgres_database(&self.url).await;
        }
    }
}

/// Runs each listed `async fn(&TestDb)` once on SQLite and once on PostgreSQL.
macro_rules! on_both_backends {
        ($($name:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test]
                    async fn $name() {
                        let db = super::TestDb::new(super::Backend::Sqlite, stringify!($name))
                            .await
                            .unwrap();
                        super::$name(&db).await;
                        db.finish().await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test]
                    async fn $name() {
                        let Some(db) =
                            super::TestDb::new(super::Backend::Postgres, stringify!($name)).await
                        else {
                            return;
                        };
                        super::$name(&db).await;
                        db.finish().await;
                    }
                )*
            }
        };
    }

on_both_backends!(
    migrations_are_idempotent_and_meta_binds_the_database,
    l1_ingestion_round_trips_and_rebuilds_the_tree,
    a_failed_range_leaves_nothing_behind,
    a_gap_in_the_table_is_reported,
    withdrawals_by_block_and_finalization,
    submissions_life_cycle,
    one_live_submission_per_account_nonce,
    leases_are_exclusive_until_they_expire,
    a_fenced_out_holder_writes_nothing,
    a_restarted_holder_reclaims_its_own_lease,
);

const TTL: Duration = Duration::from_secs(60);

fn holder(name: &str) -> Arc<str> {
    name.into()
}

/// `try_acquire` that must not fail: `None` when another holder has the lease.
async fn acquire(
    store: &Store,
    role: Role,
    holder: &Arc<str>,
    ttl: Duration,
    reclaim: bool,
) -> Option<Fence> {
    store.try_acquire(role, holder, ttl, reclaim).await.unwrap()
}

async fn fence(store: &Store, role: Role) -> Fence {
    store
        .try_acquire(role, &holder("test"), TTL, true)
        .await
        .unwrap()
        .expect("a free lease is acquired")
}

fn message(nonce: u64) -> MessageRow {
    let message = L1Message {
        // Every third message is a forced withdrawal (kind 2), stored and read back alike.
        kind: if nonce % 3 == 2 {
            MessageKind::ForcedWithdrawal
        } else {
            MessageKind::Deposit
        },
        nonce,
        sender: Address::repeat_byte(0xaa),
        recipient: Address::repeat_byte(0xbb),
        token: Address::ZERO,
        amount: U256::from(10u64).pow(U256::from(20u64)) + U256::from(nonce),
        data: if nonce == 0 {
            Bytes::from(vec![1, 2, 3])
        } else {
            Bytes::new()
        },
    };
    MessageRow {
        leaf: message.leaf(900, Address::repeat_byte(1)),
        message,
        l1_block: 10 + nonce,
        l1_tx: keccak256(nonce.to_be_bytes()),
        log_index: nonce,
    }
}

fn withdrawal(nonce: u64, l2_block: u64) -> WithdrawalRow {
    let withdrawal = Withdrawal {
        nonce,
        sender: Address::repeat_byte(0xcc),
        recipient: Address::repeat_byte(0xdd),
        l1_token: Address::ZERO,
        amount: U256::MAX - U256::from(nonce),
    };
    WithdrawalRow {
        leaf: withdrawal.leaf(901, Address::repeat_byte(3)),
        withdrawal,
        l2_block,
        l2_tx: keccak256((nonce + 100).to_be_bytes()),
        log_index: 0,
        finalized: false,
    }
}

fn cursor(next_block: u64) -> Cursor {
    Cursor {
        next_block,
        last_block_hash: Some(keccak256(next_block.to_be_bytes())),
    }
}

fn new_submission<'a>(hash: B256, nonce: u64, raw: &'a [u8]) -> NewSubmission<'a> {
    NewSubmission {
        tx_hash: hash,
        chain: "l2",
        role: "deliver",
        kind: "relay_messages",
        work: r#"{"first":0,"last":49}"#,
        sender: Address::repeat_byte(7),
        tx_nonce: nonce,
        raw_tx: raw,
    }
}

async fn migrations_are_idempotent_and_meta_binds_the_database(db: &TestDb) {
    let store = db.open().await;
    store.bind_meta("l1_chain_id", "900").await.unwrap();
    store.bind_meta("l1_chain_id", "900").await.unwrap();
    store.close().await;
    let again = db.open().await;
    let err = again.bind_meta("l1_chain_id", "1").await.unwrap_err();
    assert!(matches!(err, Error::ForeignDatabase(_)), "{err}");
    assert!(err.is_fatal());
    let f = fence(&again, Role::Propose).await;
    again.set_meta(&f, "bond_cursor", "3").await.unwrap();
    again.set_meta(&f, "bond_cursor", "4").await.unwrap();
    assert_eq!(
        again.meta("bond_cursor").await.unwrap().as_deref(),
        Some("4")
    );
    again.close().await;
}

async fn l1_ingestion_round_trips_and_rebuilds_the_tree(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Deliver).await;
    assert_eq!(store.cursor("l1").await.unwrap(), None);
    let first: Vec<_> = (0..3).map(message).collect();
    let root = RootRow {
        root: keccak256("root"),
        count: 3,
        l1_block: 12,
    };
    store
        .ingest_l1(&f, &first, &[root], cursor(20))
        .await
        .unwrap();
    // A tree loaded now is extended with exactly what is ingested later.
    let mut early = store.load_message_tree().await.unwrap();
    assert_eq!(early.len(), 3);
    let second: Vec<_> = (3..7).map(message).collect();
    store.ingest_l1(&f, &second, &[], cursor(30)).await.unwrap();
    assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(30)));
    assert_eq!(store.messages(0, 100).await.unwrap().len(), 7);
    assert_eq!(store.message_count().await.unwrap(), 7);
    let some = store.messages(2, 5).await.unwrap();
    assert_eq!(some, (2..5).map(message).collect::<Vec<_>>());
    assert_eq!(
        store.message(2).await.unwrap().unwrap().message.kind,
        MessageKind::ForcedWithdrawal
    );
    assert_eq!(store.message(7).await.unwrap(), None);
    assert_eq!(store.latest_root().await.unwrap(), Some(root));
    store.extend_message_tree(&mut early).await.unwrap();
    store.close().await;

    let store = db.open().await;
    let tree = store.load_message_tree().await.unwrap();
    let expected = MerkleTree::from_leaves((0..7).map(|n| message(n).leaf)).unwrap();
    assert_eq!(tree, expected);
    assert_eq!(early, expected);
    let status = store.status().await.unwrap();
    assert_eq!(status.l1_messages, 7);
    assert_eq!(status.committed_messages, 3);
    assert_eq!(status.l1_next_block, Some(30));
    assert_eq!(status.l2_next_block, None);
    store.close().await;
}

async fn a_failed_range_leaves_nothing_behind(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Deliver).await;
    store
        .ingest_l1(&f, &[message(0)], &[], cursor(5))
        .await
        .unwrap();
    // Nonce 0 again: the primary key refuses it and the whole range, cursor included, rolls back.
    let err = store
        .ingest_l1(&f, &[message(1), message(0)], &[], cursor(9))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)));
    assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(5)));
    assert_eq!(store.messages(0, 10).await.unwrap().len(), 1);
    store.close().await;
}

async fn a_gap_in_the_table_is_reported(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Deliver).await;
    store
        .ingest_l1(&f, &[message(0), message(2)], &[], cursor(5))
        .await
        .unwrap();
    let err = store.load_message_tree().await.unwrap_err();
    assert!(err.to_string().contains("gap"), "{err}");
    store.close().await;
}

async fn withdrawals_by_block_and_finalization(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Finalize).await;
    let rows = vec![
        withdrawal(0, 5),
        withdrawal(1, 5),
        withdrawal(2, 8),
        withdrawal(3, 12),
    ];
    store.ingest_l2(&f, &rows, cursor(13)).await.unwrap();
    assert_eq!(store.withdrawals_up_to_block(4).await.unwrap(), 0);
    assert_eq!(store.withdrawals_up_to_block(5).await.unwrap(), 2);
    assert_eq!(store.withdrawals_up_to_block(11).await.unwrap(), 3);
    assert_eq!(store.withdrawals_up_to_block(100).await.unwrap(), 4);
    store.mark_finalized(&f, &[1]).await.unwrap();
    let open = store.unfinalized_withdrawals(0, 3, 10).await.unwrap();
    assert_eq!(
        open.iter().map(|w| w.withdrawal.nonce).collect::<Vec<_>>(),
        vec![0, 2]
    );
    assert_eq!(
        store.unfinalized_withdrawals(1, 4, 1).await.unwrap()[0]
            .withdrawal
            .nonce,
        2
    );
    assert_eq!(
        store.withdrawals().await.unwrap()[3].withdrawal,
        rows[3].withdrawal
    );
    assert!(store.withdrawals().await.unwrap()[1].finalized);
    // By leaf, by L2 transaction, unknown.
    let by_leaf = store.withdrawals_by_hash(rows[2].leaf).await.unwrap();
    assert_eq!(by_leaf.len(), 1);
    assert_eq!(by_leaf[0].withdrawal, rows[2].withdrawal);
    let by_tx = store.withdrawals_by_hash(rows[3].l2_tx).await.unwrap();
    assert_eq!(by_tx[0].withdrawal.nonce, 3);
    assert!(
        store
            .withdrawals_by_hash(keccak256("nothing"))
            .await
            .unwrap()
            .is_empty()
    );
    let tree = store.load_withdrawal_tree().await.unwrap();
    assert_eq!(tree.len(), 4);
    assert_eq!(tree.leaf(3), Some(rows[3].leaf));
    assert_eq!(store.status().await.unwrap().finalized_withdrawals, 1);
    store.close().await;
}

async fn submissions_life_cycle(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Deliver).await;
    let hash = keccak256("tx");
    let raw = [0x02, 0xf8, 0x01];
    store
        .insert_submission(&f, &new_submission(hash, 4, &raw))
        .await
        .unwrap();
    let pending = store.pending_submissions("l2").await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, SubmissionState::Queued);
    assert_eq!(pending[0].raw_tx, Bytes::from(vec![0x02, 0xf8, 0x01]));
    assert_eq!(pending[0].sender, Address::repeat_byte(7));
    // The fencing token and the holder are stored with the submission.
    assert_eq!(pending[0].holder.as_deref(), Some("test"));
    assert_eq!(pending[0].lease_token, Some(f.token));
    assert!(store.pending_submissions("l1").await.unwrap().is_empty());
    store
        .update_submission(&f, hash, SubmissionState::InFlight, None, None, None)
        .await
        .unwrap();
    store.close().await;
    // A restart still sees it in flight.
    let store = db.open().await;
    assert_eq!(
        store.pending_submissions("l2").await.unwrap()[0].state,
        SubmissionState::InFlight
    );
    let cost = Cost {
        gas_used: 123_456,
        fee_wei: U256::from(123_456u64) * U256::from(7_000_000_007u64),
    };
    store
        .update_submission(
            &f,
            hash,
            SubmissionState::Confirmed,
            Some("ok"),
            Some(77),
            Some(cost),
        )
        .await
        .unwrap();
    assert!(store.pending_submissions("l2").await.unwrap().is_empty());
    let all = store.submissions().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].state, SubmissionState::Confirmed);
    assert_eq!(all[0].outcome.as_deref(), Some("ok"));
    assert_eq!(all[0].block_number, Some(77));
    assert_eq!(all[0].tx_nonce, 4);
    assert_eq!(all[0].gas_used, Some(cost.gas_used));
    assert_eq!(all[0].fee_wei, Some(cost.fee_wei));
    let status = store.status().await.unwrap();
    assert_eq!(status.confirmed_submissions, 1);
    assert_eq!(status.pending_submissions, 0);
    store.close().await;
}

async fn one_live_submission_per_account_nonce(db: &TestDb) {
    let store = db.open().await;
    let f = fence(&store, Role::Deliver).await;
    let raw = [0x02];
    store
        .insert_submission(&f, &new_submission(keccak256("a"), 9, &raw))
        .await
        .unwrap();
    // A second transaction with the same account nonce while the first is live: refused.
    let err = store
        .insert_submission(&f, &new_submission(keccak256("b"), 9, &raw))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Database(_)), "{err}");
    // Once the first failed (the node refused it), the nonce may be used again.
    store
        .update_submission(
            &f,
            keccak256("a"),
            SubmissionState::Failed,
            Some("rejected"),
            None,
            None,
        )
        .await
        .unwrap();
    store
        .insert_submission(&f, &new_submission(keccak256("b"), 9, &raw))
        .await
        .unwrap();
    assert_eq!(store.submissions().await.unwrap().len(), 2);
    store.close().await;
}

async fn leases_are_exclusive_until_they_expire(db: &TestDb) {
    let store = db.open().await;
    let (a, b) = (holder("a"), holder("b"));
    let short = Duration::from_millis(300);
    let fa = acquire(&store, Role::Deliver, &a, short, true)
        .await
        .unwrap();
    // Held: b is refused; another role is independent.
    assert_eq!(acquire(&store, Role::Deliver, &b, short, true).await, None);
    let fb_propose = acquire(&store, Role::Propose, &b, TTL, true).await.unwrap();
    assert_eq!(fb_propose.token, 1);
    // Renewal keeps it: even after the first ttl has passed, a renewed lease is not free.
    assert!(store.renew(&fa, TTL).await.unwrap());
    tokio::time::sleep(short * 2).await;
    assert_eq!(acquire(&store, Role::Deliver, &b, short, true).await, None);
    // Expired: b takes it over with a new token; a's renewal now fails.
    assert!(store.renew(&fa, short).await.unwrap());
    tokio::time::sleep(short * 2).await;
    let fb = acquire(&store, Role::Deliver, &b, TTL, true)
        .await
        .expect("an expired lease is taken over");
    assert_eq!(fb.token, fa.token + 1);
    assert!(!store.renew(&fa, TTL).await.unwrap());
    let leases = store.leases().await.unwrap();
    let deliver = leases.iter().find(|l| l.role == "deliver").unwrap();
    assert_eq!(deliver.holder, "b");
    assert_eq!(deliver.token, fb.token);
    assert!(deliver.is_live());
    // Released: a may take it at once, without waiting for the ttl.
    store.release(&fb).await.unwrap();
    let fa2 = acquire(&store, Role::Deliver, &a, TTL, true)
        .await
        .expect("a released lease is free");
    assert_eq!(fa2.token, fb.token + 1);
    store.close().await;
}

async fn a_fenced_out_holder_writes_nothing(db: &TestDb) {
    let store = db.open().await;
    let (a, b) = (holder("a"), holder("b"));
    let fa = store
        .try_acquire(Role::Deliver, &a, Duration::from_millis(200), true)
        .await
        .unwrap()
        .unwrap();
    store
        .ingest_l1(&fa, &[message(0)], &[], cursor(5))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fb = acquire(&store, Role::Deliver, &b, TTL, true).await.unwrap();
    // Every write under a's old token is refused and leaves nothing behind.
    let err = store
        .ingest_l1(&fa, &[message(1)], &[], cursor(9))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LeaseLost {
                role: Role::Deliver
            }
        ),
        "{err}"
    );
    let err = store
        .insert_submission(&fa, &new_submission(keccak256("late"), 1, &[1]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LeaseLost { .. }), "{err}");
    assert!(store.submissions().await.unwrap().is_empty());
    assert_eq!(store.cursor("l1").await.unwrap(), Some(cursor(5)));
    assert_eq!(store.message_count().await.unwrap(), 1);
    // The new holder writes.
    store
        .ingest_l1(&fb, &[message(1)], &[], cursor(9))
        .await
        .unwrap();
    store
        .insert_submission(&fb, &new_submission(keccak256("new"), 1, &[1]))
        .await
        .unwrap();
    let all = store.submissions().await.unwrap();
    assert_eq!(all[0].holder.as_deref(), Some("b"));
    assert_eq!(all[0].lease_token, Some(fb.token));
    store.close().await;
}

async fn a_restarted_holder_reclaims_its_own_lease(db: &TestDb) {
    let store = db.open().await;
    let a = holder("a");
    let first = acquire(&store, Role::Finalize, &a, TTL, true)
        .await
        .unwrap();
    // Same id after a crash: taken back at once, with a new token that fences the old run.
    let second = acquire(&store, Role::Finalize, &a, TTL, true)
        .await
        .expect("own lease reclaimed");
    assert_eq!(second.token, first.token + 1);
    assert!(!store.renew(&first, TTL).await.unwrap());
    // Without reclaim (a process that lost the role once), only expiry frees it.
    assert_eq!(acquire(&store, Role::Finalize, &a, TTL, false).await, None);
    store.close().await;
}

/// The same migration files give the same tables and columns on both backends.
#[tokio::test]
async fn both_backends_have_the_same_schema() {
    let Some(pg) = TestDb::new(Backend::Postgres, "schema").await else {
        return;
    };
    let lite = TestDb::new(Backend::Sqlite, "schema").await.unwrap();
    let pg_store = pg.open().await;
    let lite_store = lite.open().await;
    let pg_rows = sqlx::query(
        r#"SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c,
                      CAST(data_type AS TEXT) AS ty FROM information_schema.columns
               WHERE table_schema = 'public' AND table_name NOT LIKE '\_sqlx%'
               ORDER BY table_name COLLATE "C", ordinal_position"#,
    )
    .fetch_all(&pg_store.pool)
    .await
    .unwrap();
    let pg_columns: Vec<(String, String, String)> = pg_rows
        .iter()
        .map(|r| {
            let ty: String = r.try_get("ty").unwrap();
            let ty = match ty.as_str() {
                "bigint" => "BIGINT",
                "text" => "TEXT",
                other => panic!("unexpected PostgreSQL type {other}"),
            };
            (r.try_get("t").unwrap(), r.try_get("c").unwrap(), ty.into())
        })
        .collect();
    let lite_rows = sqlx::query(
            r#"SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p
               WHERE m.type = 'table' AND m.name NOT LIKE '\_sqlx%' ESCAPE '\'
               ORDER BY m.name, p.cid"#,
        )
        .fetch_all(&lite_store.pool)
        .await
        .unwrap();
    let lite_columns: Vec<(String, String, String)> = lite_rows
        .iter()
        .map(|r| {
            (
                r.try_get("t").unwrap(),
                r.try_get("c").unwrap(),
                r.try_get("ty").unwrap(),
            )
        })
        .collect();
    assert!(lite_columns.len() > 40, "{lite_columns:?}");
    assert_eq!(pg_columns, lite_columns);
    pg_store.close().await;
    lite_store.close().await;
    pg.finish().await;
}
