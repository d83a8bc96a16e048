//! The `drawbridge-devnet` binary comes up with both chains, the contracts and a relayer, and on
//! Ctrl-C (SIGINT) stops the relayer gracefully, stops both chains and removes its deployment file.
//! Started with `--censor` and `--stop-l1-messages`, its L2 endpoint reports both, and both
//! switch by hand with `cast rpc devnet_*` as the welcome text says.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drawbridge_deployment::Deployment;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

fn wait_for(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

const CENSORED: &str = "0x00000000000000000000000000000000000000c1";

/// `cast rpc <method> [params] --rpc-url <url>`, parsed.
fn cast_rpc(url: &str, method: &str, params: &[&str]) -> serde_json::Value {
    let out = Command::new(drawbridge_devnet::repo_root().join("tools/bin/cast"))
        .arg("rpc")
        .arg(method)
        .args(params)
        .args(["--rpc-url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cast rpc {method}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn devnet_starts_everything_and_ctrl_c_stops_everything() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_drawbridge-devnet"));
    assert!(
        exe.with_file_name("drawbridge-relayer").exists(),
        "build the relayer binary first (cargo build --workspace)"
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (l1_port, l2_port) = (free_port(), free_port());
    let mut child = Command::new(&exe)
        .args(["--state-dir", state.to_str().unwrap()])
        .args([
            "--l1-port",
            &l1_port.to_string(),
            "--l2-port",
            &l2_port.to_string(),
        ])
        .args([
            "--censor",
            CENSORED,
            "--censor",
            "0x00000000000000000000000000000000000000c2",
            "--stop-l1-messages",
        ])
        .env_remove("DRAWBRIDGE_COUNCIL_PASSPHRASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deployment_path = state.join("deployment.json");
    wait_for("the deployment file", Duration::from_secs(60), || {
        deployment_path.exists()
    });
    let deployment = Deployment::load(&deployment_path).unwrap();
    assert!(
        deployment.l1.rpc_url.ends_with(&format!(":{l1_port}")),
        "{}",
        deployment.l1.rpc_url
    );
    assert!(listening(l1_port) && listening(l2_port));
    // A council governs, and its members' files are where the printed commands expect them.
    let council = deployment
        .council
        .expect("the devnet binary deploys a council");
    let council_dir = state.join("council");
    for file in ["passphrase", "public.json", "book.json"] {
        assert!(council_dir.join(file).exists(), "{file}");
    }
    for id in 1..=12 {
        assert!(council_dir.join(format!("key-{id}.json")).exists());
        assert!(council_dir.join(format!("identity-{id}.json")).exists());
    }
    assert_eq!(
        std::fs::read_to_string(council_dir.join("passphrase")).unwrap(),
        "devnet\n"
    );
    let public: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(council_dir.join("public.json")).unwrap())
            .unwrap();
    assert_eq!(
        public["groupKey"]["x"].as_str().unwrap(),
        format!("{:#066x}", council.group_key.x)
    );
    // The relayer process is up and working: it proposes outputs from its own log.
    let log = state.join("relayer.log");
    wait_for("the relayer's first round", Duration::from_secs(60), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("propose")
    });
    // The censorship switch from the command line, and by hand at runtime.
    let l2 = &deployment.l2.rpc_url;
    let status = cast_rpc(l2, "devnet_sequencerStatus", &[]);
    assert_eq!(status["censored"].as_array().unwrap().len(), 2, "{status}");
    assert_eq!(status["l1Messages"], false, "{status}");
    assert!(
        status["relayer"]
            .as_str()
            .unwrap()
            .contains("not delivering"),
        "{status}"
    );
    let status = cast_rpc(l2, "devnet_uncensor", &[CENSORED]);
    assert_eq!(status["censored"].as_array().unwrap().len(), 1, "{status}");
    cast_rpc(l2, "devnet_resumeL1Messages", &[]);
    wait_for(
        "the relayer to deliver again",
        Duration::from_secs(30),
        || {
            let status = cast_rpc(l2, "devnet_sequencerStatus", &[]);
            let relayer = status["relayer"].as_str().unwrap();
            relayer.starts_with("running") && !relayer.contains("not delivering")
        },
    );

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the devnet did not stop within 30 s of SIGINT"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(exit.success(), "exit status {exit}");
    let stdout = std::io::read_to_string(child.stdout.take().unwrap()).unwrap();
    assert!(
        stdout.contains("Drawbridge devnet is up") && stdout.contains("drawbridge deposit"),
        "{stdout}"
    );
    assert!(
        stdout
            .to_lowercase()
            .contains(&format!("censoring     {CENSORED}"))
            && stdout.contains("L1 messages   STOPPED")
            && stdout.contains("cast rpc devnet_censor"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("L1 council    {}", council.l1))
            && stdout.contains(&format!("L2 council    {}", council.l2))
            && stdout.contains("council sign-commit"),
        "{stdout}"
    );
    assert!(
        !deployment_path.exists(),
        "the deployment file of a stopped devnet is removed"
    );
    wait_for("both chains to stop", Duration::from_secs(10), || {
        !listening(l1_port) && !listening(l2_port)
    });
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("relayer stopping"),
        "the relayer was stopped gracefully: {log}"
    );
}
