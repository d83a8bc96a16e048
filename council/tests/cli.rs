//! The binary in file mode with relative paths: dealer, export-key, a wrong passphrase.

use drawbridge_testkit::CouncilCli;

fn run(dir: &std::path::Path, pass: &str, args: &[&str]) -> std::process::Output {
    CouncilCli {
        dir: dir.to_path_buf(),
        passphrase: pass.to_string(),
    }
    .run(args, &[])
}

#[test]
fn dealer_and_export_key_with_relative_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for i in 1..=2 {
        let out = run(
            d,
            "pw",
            &[
                "identity",
                "--id",
                &i.to_string(),
                "--name",
                "m",
                "--identity-out",
                &format!("id{i}.json"),
                "--member-out",
                &format!("entry{i}.json"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(
        d,
        "",
        &[
            "address-book",
            "--out",
            "book.json",
            "entry1.json",
            "entry2.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        d,
        "pw",
        &[
            "dealer",
            "--threshold",
            "2",
            "--members",
            "3",
            "--out-dir",
            "keys",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(d, "", &["export-key", "--public", "keys/public.json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"compressed\": \"0x0"), "{text}");
    // Wrong passphrase: clear error, non-zero exit.
    let out = run(
        d,
        "bad",
        &[
            "sign-commit",
            "--identity",
            "id1.json",
            "--key",
            "keys/key-1.json",
            "--nonce-dir",
            "nonces",
            "--book",
            "book.json",
            "--request",
            "request.json",
            "--out",
            "c.json",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
}
