//! Conventions every binary keeps at its edges: a usage error exits 2 and, under `--json`, is a
//! JSON object on standard output; `--help` exits 0.

use drawbridge_testkit::binary;

const BINARIES: [&str; 5] = [
    "drawbridge",
    "drawbridge-exit-prover",
    "drawbridge-council",
    "drawbridge-relayer",
    "drawbridge-devnet",
];

fn run(name: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(binary(name))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"))
}

#[test]
fn every_binary_reports_a_usage_error_with_exit_2_and_as_json_under_json() {
    for name in BINARIES {
        let out = run(name, &["--no-such-flag", "--json"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stdout}{stderr}");
        let body: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {stdout:?}"));
        assert_eq!(body["kind"], "usage", "{name}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("--no-such-flag"),
            "{name}: {body}"
        );
        assert!(stderr.contains("--no-such-flag"), "{name}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "{name}: no colour off a terminal: {stderr:?}"
        );

        // Without --json: the same exit status, nothing on stdout.
        let out = run(name, &["--no-such-flag"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}");

        let help = run(name, &["--help"]);
        assert!(help.status.success(), "{name} --help");
        assert!(!help.stdout.is_empty(), "{name} --help prints on stdout");
    }
}

#[test]
fn every_binary_shows_its_commit_and_generates_completions_and_a_man_page() {
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    for name in BINARIES {
        let version = run(name, &["--version"]);
        let version = String::from_utf8_lossy(&version.stdout).to_string();
        assert!(version.starts_with(&format!("{name} ")), "{version}");
        assert!(version.contains("(commit "), "{version}");
        if let Some(head) = &head {
            // Built from this checkout (the test suite builds every binary first).
            assert!(
                version.contains(head.as_str()),
                "{name}: {version} vs HEAD {head}"
            );
        }
        for shell in ["bash", "zsh", "fish"] {
            let out = run(name, &["--completions", shell]);
            let script = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{name} --completions {shell}");
            assert!(
                script.contains(name),
                "{name} --completions {shell}: {script}"
            );
        }
        let man = run(name, &["--man"]);
        let page = String::from_utf8_lossy(&man.stdout);
        assert!(
            man.status.success() && page.contains(&format!(".TH {name} 1")),
            "{page}"
        );
    }
}

#[test]
fn bad_amounts_and_nonces_are_usage_errors_with_a_hint() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["deposit", "--token", "eth", "--amount", "1.5usdc"],
            "unknown unit \"usdc\"",
        ),
        (
            &["deposit", "--token", "eth", "--amount", "-1"],
            "must be positive",
        ),
        (
            &["finalize", "--nonce", "-1"],
            "\"-1\" is not a nonce: a whole number from 0",
        ),
        (&["status", "--withdrawal", "x"], "\"x\" is not a nonce"),
    ];
    for (args, hint) in cases {
        let out = run("drawbridge", args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(hint), "{args:?}: {stderr}");
    }
    // Units are accepted (the run then fails for want of a key, not of the amount).
    let out = run(
        "drawbridge",
        &["deposit", "--token", "eth", "--amount", "1.5ether"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free local port (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A devnet process, killed when dropped.
struct DevnetProcess(std::process::Child);

impl Drop for DevnetProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the devnet binary with `args` and returns it with what it printed up to "Ctrl-C stops
/// everything." (the end of its welcome text).
fn devnet_welcome(dir: &std::path::Path, args: &[&str]) -> (DevnetProcess, String) {
    use std::io::BufRead;
    let mut child = DevnetProcess(
        std::process::Command::new(binary("drawbridge-devnet"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("--state-dir")
            .arg(dir)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the devnet starts"),
    );
    let mut out = std::io::BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut text = String::new();
    loop {
        let mut line = String::new();
        let read = out.read_line(&mut line).expect("devnet stdout");
        assert!(read > 0, "the devnet ended early: {text}");
        text.push_str(&line);
        if line.starts_with("Ctrl-C stops everything.") {
            return (child, text);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_prints_its_relayer_api_and_refuses_a_taken_port_by_name() {
    // A taken port is named with the flag that moves it, before anything starts.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "drawbridge-devnet",
        &[
            "--state-dir",
            dir.path().to_str().unwrap(),
            "--l1-port",
            &port,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("port {port} (--l1-port) is not free")),
        "{stderr}"
    );
    drop(taken);

    // The relayer's API is served and printed.
    let (l1, l2, api) = (free_port(), free_port(), free_port());
    let (l1, l2, api) = (l1.to_string(), l2.to_string(), api.to_string());
    let ports = [
        "--l1-port",
        &l1,
        "--l2-port",
        &l2,
        "--relayer-api-port",
        &api,
    ];
    let (devnet, text) = devnet_welcome(&dir.path().join("a"), &ports);
    let base = format!("http://127.0.0.1:{api}");
    assert!(
        text.contains(&format!("relayer API   {base}/status")),
        "{text}"
    );
    let status = drawbridge_testkit::wait_for(
        "the devnet relayer's API",
        drawbridge_testkit::DEADLINE,
        || {
            let base = base.clone();
            async move { drawbridge_testkit::http_get(&base, "/status").await }
        },
    )
    .await;
    assert_eq!(status.0, 200, "{}", status.1);
    drop(devnet);

    // Without a relayer: the command that starts one.
    let (l1, l2) = (free_port().to_string(), free_port().to_string());
    let (_devnet, text) = devnet_welcome(
        &dir.path().join("b"),
        &["--l1-port", &l1, "--l2-port", &l2, "--no-relayer"],
    );
    assert!(
        text.contains("cargo run -q -p drawbridge-relayer -- --deployment"),
        "{text}"
    );
}
