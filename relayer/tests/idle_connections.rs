//! An outsider holding 1,100 idle connections to the relayer's HTTP API, more than the 1,024
//! open files the relayer process may have, cannot stop it: its descriptors stay bounded, the API
//! still answers, and deposits keep being delivered.

mod common;

use std::time::Duration;

use alloy::primitives::U256;
use common::*;
use drawbridge_testkit::{RelayerProcess, free_listen_address, http_get};

/// Open files of process `pid` (its `/proc` descriptor table).
fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_to_the_api_never_stop_deliveries() {
    let env = test_env().await;
    env.save_deployment();
    let dir = env.dir.path();
    let listen = free_listen_address();
    let relayer = RelayerProcess::spawn_with_fd_limit(
        &dir.join("deployment.json"),
        dir,
        &env.devnet.accounts.relayer,
        "idle.sqlite",
        &["--roles", "deliver", "--api-listen", &listen],
        Some(1024),
    );
    let base = format!("http://{listen}");
    wait_for("the relayer's API", || async {
        http_get(&base, "/health").await.map(|_| ())
    })
    .await;

    // 1,100 connections that never send a byte.
    let mut idle = Vec::new();
    for i in 0..1_100 {
        let stream = tokio::net::TcpStream::connect(&listen)
            .await
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        idle.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let files = open_files(relayer.id());
    assert!(
        files > 0 && files < 512,
        "the relayer holds {files} open files with 1,100 idle clients"
    );

    // The API still answers, and deliveries go on.
    let (code, _) = http_get(&base, "/health")
        .await
        .unwrap_or_else(|| panic!("the API answers: {}", relayer.log()));
    assert!(code == 200 || code == 503, "{code}");
    let before = processed(&env.devnet).await;
    let user = &env.devnet.accounts.users[3];
    let recipient = fresh_address("idle-connections");
    let deposits: Vec<_> = (0..5u64)
        .map(|i| (recipient, U256::from(1_000 + i)))
        .collect();
    deposit_eth(&env.devnet, user, &deposits).await;
    wait_for("five deliveries", || async {
        (processed(&env.devnet).await >= before + 5).then_some(())
    })
    .await;
    let log = relayer.log();
    assert!(!log.contains("Too many open files"), "{log}");
    drop(idle);
}
