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
