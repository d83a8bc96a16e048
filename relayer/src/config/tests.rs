use super::parse::parse_listen;
use super::*;
use crate::error::Error;
use clap::Parser;
use std::path::{Path, PathBuf};

const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

fn deployment() -> Deployment {
    crate::testing::offline_deployment("http://127.0.0.1:8545", "http://127.0.0.1:9545")
}

fn deployment_file(dir: &Path) -> PathBuf {
    let path = dir.join("deployment.json");
    deployment().save(&path).unwrap();
    path
}

fn key() -> Secrets {
    Secrets {
        relayer_key: Some(KEY.into()),
        keystore_password: None,
    }
}

fn args(extra: &[&str]) -> ConfigArgs {
    let mut argv = vec!["drawbridge-relayer"];
    argv.extend_from_slice(extra);
    ConfigArgs::try_parse_from(argv).unwrap()
}

fn setting(err: Error) -> &'static str {
    match err {
        Error::Config { name, .. } => name,
        other => panic!("not a config error: {other}"),
    }
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
    assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
    assert!(parse_duration("").is_err());
    assert!(parse_duration("fast").is_err());
    assert!(parse_duration("5 days").is_err());
    assert!(parse_duration("-1s").is_err());
}

#[test]
fn defaults_follow_the_deployment() {
    let config = RelayerConfig::new(deployment(), KEY.parse().unwrap());
    config.validate().unwrap();
    assert_eq!(config.l1_rpc_url, "http://127.0.0.1:8545");
    assert_eq!(config.l2_rpc_url, "http://127.0.0.1:9545");
    assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(config.l1_confirmations, 2);
    assert_eq!(config.l2_confirmations, 2);
    assert_eq!(config.output_interval, 5);
    assert_eq!(config.poll_interval, Duration::from_secs(1));
    assert_eq!(config.delivery_batch_size, 50);
    assert_eq!(config.finalize_batch_size, 50);
    assert!(Role::DEFAULT.iter().all(|r| config.has_role(*r)));
    assert!(!config.has_role(Role::Watchdog));
}

#[test]
fn debug_never_shows_the_key() {
    let config = RelayerConfig::new(deployment(), KEY.parse().unwrap());
    let text = format!("{config:?} {:?}", key());
    assert!(!text.contains(&KEY[2..]), "{text}");
    assert!(!text.to_lowercase().contains("59c6995e"), "{text}");
    assert!(text.contains(&format!("{:?}", config.address())));
}

#[test]
fn flags_beat_file_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = deployment_file(dir.path());
    let file = FileConfig::parse(&format!(
        r#"
            deployment = "{}"
            roles = ["deliver"]
            max_log_range = 10
            poll_interval = "250ms"
            l2_rpc_url = "http://example.invalid:1"
            delivery_batch_size = 7
            "#,
        path.display()
    ))
    .unwrap();
    let loaded = args(&[
        "--max-log-range",
        "20",
        "--roles",
        "propose,finalize",
        "--l1-confirmations",
        "0",
    ])
    .resolve_with(file, key())
    .unwrap();
    let c = loaded.relayer;
    assert_eq!(c.max_log_range, 20);
    assert_eq!(
        c.roles,
        [Role::Propose, Role::Finalize].into_iter().collect()
    );
    assert_eq!(c.poll_interval, Duration::from_millis(250));
    assert_eq!(c.l2_rpc_url, "http://example.invalid:1");
    assert_eq!(c.l1_rpc_url, "http://127.0.0.1:8545");
    assert_eq!(c.l1_confirmations, 0);
    assert_eq!(c.l2_confirmations, 2);
    assert_eq!(c.delivery_batch_size, 7);
    assert_eq!(loaded.log_format, LogFormat::Text);
    assert_eq!(
        c.address(),
        KEY.parse::<PrivateKeySigner>().unwrap().address()
    );
}

#[test]
fn snake_case_flag_aliases_work() {
    let a = args(&["--max_log_range", "3", "--output_interval", "9"]);
    assert_eq!(a.max_log_range, Some(3));
    assert_eq!(a.output_interval, Some(9));
}

#[test]
fn config_file_paths_are_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    deployment_file(dir.path());
    let config_path = dir.path().join("relayer.toml");
    std::fs::write(
        &config_path,
        "deployment = \"deployment.json\"\noutput_interval = 3\n",
    )
    .unwrap();
    let loaded = args(&["--config", config_path.to_str().unwrap()])
        .resolve(key())
        .unwrap();
    assert_eq!(loaded.relayer.output_interval, 3);
}

#[test]
fn errors_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let path = deployment_file(dir.path());
    let dep = path.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--max-log-range", "0"], "max_log_range"),
        (&["--poll-interval", "0ms"], "poll_interval"),
        (&["--poll-interval", "soon"], "poll_interval"),
        (&["--delivery-batch-size", "0"], "delivery_batch_size"),
        (&["--finalize-batch-size", "100000"], "finalize_batch_size"),
        (&["--output-interval", "0"], "output_interval"),
        (&["--l1-rpc-url", "not a url"], "l1_rpc_url"),
        (&["--l2-rpc-url", "ws://127.0.0.1:1"], "l2_rpc_url"),
        (&["--database-url", "postgresql://"], "database_url"),
        (&["--database-url", "relayer.db"], "database_url"),
        (&["--database-url", "mysql://x/y"], "database_url"),
        (&["--tx-timeout", "0s"], "tx_timeout"),
        (&["--lease-ttl", "0s"], "lease_ttl"),
        (&["--lease-ttl", "2h"], "lease_ttl"),
        (&["--rpc-timeout", "1ms"], "rpc_timeout"),
        (&["--max-fee-per-gas", "lots"], "max_fee_per_gas"),
        (&["--max-fee-per-gas", "0"], "max_fee_per_gas"),
        (&["--max-fee-per-gas=-5"], "max_fee_per_gas"),
        (&["--max-fee-per-gas", "200000"], "max_fee_per_gas"),
        (&["--max-backoff", "100ms"], "max_backoff"),
        (&["--conservation-interval", "1ms"], "conservation_interval"),
        (&["--conservation-interval", "2d"], "conservation_interval"),
        (&["--relayer-id", "two words"], "relayer_id"),
        (&["--relayer-id", ""], "relayer_id"),
        (&["--api-listen", "localhost"], "api_listen"),
        (&["--api-listen", "127.0.0.1:99999"], "api_listen"),
        (&["--l1-min-balance", "lots"], "l1_min_balance"),
        (&["--l2-min-balance=-1"], "l2_min_balance"),
        (&["--council-address", "0x1234"], "council_address"),
    ];
    for (flags, name) in cases {
        let mut argv = vec!["--deployment", dep];
        argv.extend_from_slice(flags);
        let err = args(&argv)
            .resolve_with(FileConfig::default(), key())
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(setting(err), *name, "{flags:?}: {message}");
        assert!(message.contains(name), "{message}");
    }
    // Empty roles from the file.
    let file = FileConfig {
        roles: Some(vec![]),
        ..Default::default()
    };
    let err = args(&["--deployment", dep])
        .resolve_with(file, key())
        .unwrap_err();
    assert_eq!(setting(err), "roles");
    // A role that does not exist.
    assert!(ConfigArgs::try_parse_from(["x", "--roles", "deliver,watch"]).is_err());
    assert!(FileConfig::parse("roles = [\"watch\"]").is_err());
    // Unknown keys in the file.
    let err = FileConfig::parse("max_log_rnage = 5").unwrap_err();
    assert_eq!(setting(err), "config");
    // Missing deployment.
    let err = args(&[])
        .resolve_with(FileConfig::default(), key())
        .unwrap_err();
    assert_eq!(setting(err), "deployment");
    // Unreadable deployment.
    let err = args(&["--deployment", "/nonexistent/deployment.json"])
        .resolve_with(FileConfig::default(), key())
        .unwrap_err();
    assert_eq!(setting(err), "deployment");
}

#[test]
fn new_settings_parse_and_postgres_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = deployment_file(dir.path());
    let file = FileConfig::parse(&format!(
        r#"
            deployment = "{}"
            database_url = "postgres://relayer:s3cret@db.internal:5432/drawbridge"
            relayer_id = "relayer-a"
            lease_ttl = "5s"
            api_listen = "127.0.0.1:0"
            l1_min_balance = "0.25"
            council_address = "0x0000000000000000000000000000000000000006"
            rpc_timeout = "3s"
            max_backoff = "10s"
            max_fee_per_gas = "1.5"
            conservation_interval = "5s"
            "#,
        path.display()
    ))
    .unwrap();
    let c = args(&["--l2-min-balance", "2"])
        .resolve_with(file, key())
        .unwrap()
        .relayer;
    assert_eq!(c.relayer_id, "relayer-a");
    assert_eq!(c.lease_ttl, Duration::from_secs(5));
    assert_eq!(c.api_listen, Some("127.0.0.1:0".parse().unwrap()));
    assert_eq!(c.l1_min_balance, U256::from(250_000_000_000_000_000u64));
    assert_eq!(c.l2_min_balance, U256::from(2_000_000_000_000_000_000u64));
    assert_eq!(c.council_address, Some(Address::with_last_byte(6)));
    assert_eq!(c.rpc_timeout, Duration::from_secs(3));
    assert_eq!(c.max_fee_per_gas, 1_500_000_000);
    assert_eq!(c.max_backoff, Duration::from_secs(10));
    assert_eq!(c.conservation_interval, Duration::from_secs(5));
    // `off` switches the API off again.
    assert_eq!(parse_listen("off").unwrap(), None);
    // Neither the database password nor the key is ever shown.
    let shown = format!("{c:?} {}", c.printable());
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(!shown.contains(&KEY[2..]), "{shown}");
    assert!(shown.contains("db.internal"), "{shown}");
    assert!(shown.contains(&c.address().to_string()), "{shown}");
}

#[test]
fn urls_are_redacted() {
    assert_eq!(
        redact_url("postgres://u:pw@host:5432/db?sslmode=require&password=x"),
        "postgres://u:***@host:5432/db?***"
    );
    assert_eq!(
        redact_url("https://eth-mainnet.example/v2/APIKEY123"),
        "https://eth-mainnet.example/***"
    );
    assert_eq!(
        redact_url("https://rpc.example/?key=APIKEY123"),
        "https://rpc.example/?***"
    );
    assert_eq!(
        redact_url("http://127.0.0.1:8545"),
        "http://127.0.0.1:8545/"
    );
    assert_eq!(
        redact_url("sqlite://relayer.sqlite?mode=rwc"),
        "sqlite://relayer.sqlite?mode=rwc"
    );
    assert_eq!(redact_url("not a url"), "<unparsable URL>");
}

#[test]
fn key_sources() {
    let dir = tempfile::tempdir().unwrap();
    let path = deployment_file(dir.path());
    let dep = path.to_str().unwrap();
    let resolve = |extra: &[&str], secrets: Secrets| {
        let mut argv = vec!["--deployment", dep];
        argv.extend_from_slice(extra);
        args(&argv).resolve_with(FileConfig::default(), secrets)
    };
    // No key at all.
    let err = resolve(&[], Secrets::default()).unwrap_err();
    assert_eq!(setting(err), "DRAWBRIDGE_RELAYER_KEY");
    // A bad key is refused without echoing it.
    let bad = "0xdeadbeefcafe";
    let err = resolve(
        &[],
        Secrets {
            relayer_key: Some(bad.into()),
            keystore_password: None,
        },
    )
    .unwrap_err();
    assert!(!err.to_string().contains("deadbeefcafe"));
    assert_eq!(setting(err), "DRAWBRIDGE_RELAYER_KEY");
    // A keystore round trip.
    let mut rng = rand_core_rng();
    let (signer, name) =
        PrivateKeySigner::new_keystore(dir.path(), &mut rng, "hunter2", None).unwrap();
    let keystore = dir.path().join(name);
    let ks = keystore.to_str().unwrap();
    let loaded = resolve(
        &["--keystore", ks],
        Secrets {
            relayer_key: None,
            keystore_password: Some("hunter2".into()),
        },
    )
    .unwrap();
    assert_eq!(loaded.relayer.address(), signer.address());
    // Wrong password, missing password, both sources.
    let err = resolve(
        &["--keystore", ks],
        Secrets {
            relayer_key: None,
            keystore_password: Some("wrong".into()),
        },
    )
    .unwrap_err();
    assert!(!err.to_string().contains("wrong"));
    assert_eq!(setting(err), "keystore");
    let err = resolve(&["--keystore", ks], Secrets::default()).unwrap_err();
    assert_eq!(setting(err), "keystore");
    let err = resolve(&["--keystore", ks], key()).unwrap_err();
    assert_eq!(setting(err), "keystore");
}

fn rand_core_rng() -> impl alloy::signers::k256::elliptic_curve::rand_core::CryptoRngCore {
    alloy::signers::k256::elliptic_curve::rand_core::OsRng
}
