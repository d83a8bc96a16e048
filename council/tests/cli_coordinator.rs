//! The binary end to end, every member a separate process: identities and address book, the
//! coordinator process, a DKG among 4 members through it, a council deployed on anvil with the
//! DKG key, a pause built from the chain's state, signed by 3 members, checked and submitted with
//! `submit`; a second share with the same nonces is refused, a member who answers "n" at the
//! prompt sends nothing, and a scheduled key rotation is refused by `execute` before its delay
//! and executed after it.

#[path = "common/chain.rs"]
mod chain;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Output, Stdio};

use alloy::primitives::U256;
use drawbridge_council::contract::GroupKeyExport;
use drawbridge_council::files::PublicFile;
use drawbridge_testkit::{CoordinatorProcess, CouncilCli, increase_time, key_hex};
use serde_json::Value;

const PASS: &str = "correct horse battery";

fn cli(dir: &Path) -> CouncilCli {
    CouncilCli {
        dir: dir.to_path_buf(),
        passphrase: PASS.to_string(),
    }
}

fn ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cli(dir).run(args, &[])
}

/// A member process whose prompt the test may answer on standard input.
fn spawn(dir: &Path, args: &[String]) -> Child {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(dir)
        .command(&args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkg_sign_and_submit_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for i in 1..=4 {
        ok(run(
            d,
            &[
                "identity",
                "--id",
                &i.to_string(),
                "--name",
                &format!("m{i}"),
                "--identity-out",
                &format!("m{i}/identity.json"),
                "--member-out",
                &format!("entries/{i}.json"),
            ],
        ));
    }
    ok(run(
        d,
        &[
            "address-book",
            "--out",
            "book.json",
            "entries/1.json",
            "entries/2.json",
            "entries/3.json",
            "entries/4.json",
        ],
    ));
    // The coordinator, on a free port.
    let coordinator = CoordinatorProcess::spawn(&cli(d), "book.json", None);
    let url = coordinator.url.clone();

    // DKG, 3 of 4, every member its own process.
    ok(run(
        d,
        &[
            "session",
            "create-dkg",
            "--coordinator",
            &url,
            "--identity",
            "m1/identity.json",
            "--book",
            "book.json",
            "--session",
            "dkg-1",
            "--threshold",
            "3",
        ],
    ));
    let members: Vec<Child> = (1..=4)
        .map(|i| {
            spawn(
                d,
                &s(&[
                    "--json",
                    "member",
                    "dkg",
                    "--coordinator",
                    &url,
                    "--session",
                    "dkg-1",
                    "--identity",
                    &format!("m{i}/identity.json"),
                    "--book",
                    "book.json",
                    "--key-out",
                    &format!("m{i}/key.json"),
                    "--public-out",
                    &format!("m{i}/public.json"),
                    "--yes",
                ]),
            )
        })
        .collect();
    let mut keys = Vec::new();
    for m in members {
        let v = ok(m.wait_with_output().unwrap());
        keys.push(v["compressed"].as_str().unwrap().to_string());
    }
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    let public: PublicFile =
        serde_json::from_slice(&std::fs::read(d.join("m1/public.json")).unwrap()).unwrap();
    let key =
        GroupKeyExport::from_verifying_key(public.package().unwrap().verifying_key()).unwrap();

    // A council on anvil with that key; a pause built from its state.
    let chain = chain::CouncilChain::start();
    let (council, bridge) = chain.deploy_council_with_bridge(&key).await;
    let rpc = chain.anvil.endpoint();
    let council_s = council.to_string();
    let build_action = |kind: &str, args: &[&str], out: &str| {
        let mut a = vec![
            "--json",
            "action",
            kind,
            "--council",
            &council_s,
            "--rpc-url",
            &rpc,
        ];
        a.extend_from_slice(args);
        a.extend(["--out", out]);
        ok(run(d, &a))
    };
    let create_sign = |requester: u16, session: &str, action: &str, signers: &str| {
        let (identity, public) = (
            format!("m{requester}/identity.json"),
            format!("m{requester}/public.json"),
        );
        ok(run(
            d,
            &[
                "session",
                "create-sign",
                "--coordinator",
                &url,
                "--identity",
                &identity,
                "--book",
                "book.json",
                "--session",
                session,
                "--action",
                action,
                "--public",
                &public,
                "--signers",
                signers,
            ],
        ))
    };
    let v = build_action("pause", &["--duration", "600"], "pause.json");
    assert_eq!(v["view"]["kind"], "pause");
    let shown = run(d, &["action", "show", "--action", "pause.json"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("pause (kind 1)") && text.contains("600 s (10m)"),
        "{text}"
    );
    create_sign(2, "pause-1", "pause.json", "1,2,4");
    let sign_args = |i: u16, session: &str, yes: bool| {
        let mut a = s(&[
            "--json",
            "member",
            "sign",
            "--coordinator",
            &url,
            "--session",
            session,
            "--identity",
            &format!("m{i}/identity.json"),
            "--book",
            "book.json",
            "--key-package",
            &format!("m{i}/key.json"),
            "--nonce-dir",
            &format!("m{i}/nonces"),
        ]);
        if yes {
            a.push("--yes".into());
        }
        a
    };
    let signers: Vec<Child> = [1u16, 2, 4]
        .iter()
        .map(|i| spawn(d, &sign_args(*i, "pause-1", true)))
        .collect();
    for m in signers {
        let out = m.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(stderr.contains("action:    pause (kind 1)"), "{stderr}");
        assert!(
            stderr.contains(&format!("council:   {council}")),
            "{stderr}"
        );
        ok(out);
    }
    let v = ok(run(
        d,
        &[
            "--json",
            "session",
            "wait",
            "--coordinator",
            &url,
            "--session",
            "pause-1",
        ],
    ));
    assert_eq!(v["status"], "signed");
    let v = ok(run(
        d,
        &[
            "--json",
            "calldata",
            "--coordinator",
            &url,
            "--session",
            "pause-1",
            "--book",
            "book.json",
        ],
    ));
    assert_eq!(
        v["to"].as_str().unwrap().to_lowercase(),
        council_s.to_lowercase()
    );
    let payer = key_hex(&chain.key(4));
    let with_payer = |args: &[&str]| cli(d).run(args, &[("DRAWBRIDGE_PRIVATE_KEY", &payer)]);
    let out = with_payer(&[
        "--json",
        "submit",
        "--coordinator",
        &url,
        "--session",
        "pause-1",
        "--rpc-url",
        &rpc,
    ]);
    let v = ok(out);
    assert!(v["txHash"].as_str().unwrap().starts_with("0x"));
    assert!(chain.bridge(bridge).pausedUntil().call().await.unwrap() > 0);
    assert_eq!(
        chain.council(council).nonce().call().await.unwrap(),
        U256::from(1)
    );

    // Member 1 again on the same session: its nonces are used, no second share.
    let out = spawn(d, &sign_args(1, "pause-1", true))
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("were already used"), "{stderr}");

    // A member answering "n" at the prompt sends nothing.
    let v = build_action("unpause", &[], "unpause.json");
    assert_eq!(v["action"]["nonce"], 1);
    create_sign(1, "unpause-1", "unpause.json", "1,2,3");
    let mut m3 = spawn(d, &sign_args(3, "unpause-1", false));
    m3.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let out = m3.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unpause (kind 2)") && stderr.contains("declined"),
        "{stderr}"
    );
    let v = ok(run(
        d,
        &[
            "--json",
            "session",
            "show",
            "--coordinator",
            &url,
            "--session",
            "unpause-1",
        ],
    ));
    assert_eq!(v["commitments"].as_array().unwrap().len(), 0);
    assert!(
        !d.join("m3/nonces")
            .read_dir()
            .map(|mut r| r.next().is_some())
            .unwrap_or(false)
    );

    // A scheduled key rotation (to the same key): `execute` is refused before the delay and
    // goes through after it, as a plain transaction.
    let v = build_action("rotate-key", &["--public", "m1/public.json"], "rotate.json");
    let id = v["view"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv[0] == "scheduled id")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    create_sign(1, "rotate-1", "rotate.json", "1,2,4");
    let signers: Vec<Child> = [1u16, 2, 4]
        .iter()
        .map(|i| spawn(d, &sign_args(*i, "rotate-1", true)))
        .collect();
    for m in signers {
        let out = m.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(stderr.contains("rotateKey("), "{stderr}");
        ok(out);
    }
    ok(with_payer(&[
        "--json",
        "submit",
        "--coordinator",
        &url,
        "--session",
        "rotate-1",
        "--rpc-url",
        &rpc,
    ]));
    let execute = [
        "--json",
        "execute",
        "--council",
        &council_s,
        "--id",
        &id,
        "--rpc-url",
        &rpc,
    ];
    let early = with_payer(&execute);
    assert!(!early.status.success());
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert!(stderr.contains("NotReady"), "{stderr}");
    increase_time(&chain.provider, 9 * 86_400).await;
    let v = ok(with_payer(&execute));
    assert!(v["txHash"].as_str().unwrap().starts_with("0x"));
    let again = with_payer(&execute);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("UnknownOperation"));
}
