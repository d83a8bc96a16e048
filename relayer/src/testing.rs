//! Test support for this crate's tests and for crates that run a relayer in theirs: a fresh
//! PostgreSQL database per test on the server named by [`POSTGRES_URL_ENV`].
//!
//! `scripts/test.sh` (and so `.ci/run`) starts a throwaway server and sets the variable. Without
//! it a PostgreSQL test prints why and returns early, except under `CI=true`, where it fails: CI
//! must never pass PostgreSQL tests it did not run.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::migrate::MigrateDatabase;

/// Environment variable with the URL of a PostgreSQL server for tests, e.g.
/// `postgres://drawbridge@127.0.0.1:54329/postgres`; each test creates its own database there.
pub const POSTGRES_URL_ENV: &str = "DRAWBRIDGE_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether this run is CI's (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The URL of a fresh, empty database named after `label` on the test server, or `None` (with a
/// note on stderr) when [`POSTGRES_URL_ENV`] is unset outside CI.
///
/// # Panics
/// When the variable is unset under CI, or the server refuses to create the database.
pub async fn fresh_postgres_database(label: &str) -> Option<String> {
    let Some(admin) = std::env::var(POSTGRES_URL_ENV)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            !in_ci(),
            "CI=true but {POSTGRES_URL_ENV} is unset: the PostgreSQL tests must run in CI \
             (scripts/test.sh starts a server when PostgreSQL is installed)"
        );
        eprintln!("skipping the PostgreSQL part of {label}: {POSTGRES_URL_ENV} is unset");
        return None;
    };
    let mut url =
        url::Url::parse(&admin).unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a URL: {e}"));
    let label: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "t_{label}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    sqlx::any::install_default_drivers();
    sqlx::Any::create_database(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    Some(url)
}

/// Drops a database made by [`fresh_postgres_database`] (best effort: a leftover database on a
/// throwaway server is harmless).
pub async fn drop_postgres_database(url: &str) {
    sqlx::any::install_default_drivers();
    if let Err(error) = sqlx::Any::force_drop_database(url).await {
        eprintln!("could not drop the test database: {error}");
    }
}

/// A devnet-preset deployment whose chains are at `l1_rpc_url` / `l2_rpc_url` (chain ids 900 and
/// 901, made-up contract addresses): for configuration tests that never reach a chain. Built
/// through the file format, so fields the format defaults stay defaulted.
pub fn offline_deployment(l1_rpc_url: &str, l2_rpc_url: &str) -> drawbridge_deployment::Deployment {
    use alloy::primitives::Address;
    use drawbridge_deployment::{L1Side, L2Side, Params, Preset, Roles};
    let value = serde_json::json!({
        "l1": L1Side {
            chain_id: 900,
            rpc_url: l1_rpc_url.into(),
            l1_bridge: Address::repeat_byte(1),
            output_oracle: Address::repeat_byte(2),
            test_token: None,
            deploy_block: 1,
        },
        "l2": L2Side {
            chain_id: 901,
            rpc_url: l2_rpc_url.into(),
            l2_bridge: Address::repeat_byte(3),
            root_oracle: Address::repeat_byte(4),
            deploy_block: 1,
        },
        "roles": Roles {
            governance: Address::repeat_byte(5),
            council: Address::repeat_byte(6),
            proposer: Address::repeat_byte(7),
            root_publisher: Address::repeat_byte(7),
        },
        "params": Params::preset(Preset::Devnet),
    });
    serde_json::from_value(value).expect("a deployment in the file format")
}
