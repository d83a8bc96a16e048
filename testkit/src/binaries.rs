//! Processes of the workspace's binaries for tests: where cargo put them, a relayer killable with
//! SIGKILL, the council CLI and its coordinator, free local ports and a plain HTTP GET.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;

/// A command for the relayer binary at `program` that inherits no `DRAWBRIDGE_*` variable from
/// the test's environment (an operator's settings must not leak into a test), logging with
/// `RUST_LOG=<rust_log>`.
pub fn relayer_command(program: &str, rust_log: &str) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars() {
        if name.starts_with("DRAWBRIDGE_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", rust_log);
    command
}

/// The directory cargo puts binaries in (`target/debug`), found from the test executable.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("executable directory");
    if deps.ends_with("deps") {
        deps.parent().expect("target profile dir").to_path_buf()
    } else {
        deps.to_path_buf()
    }
}

/// Path of a workspace binary; the test suite builds every binary (`cargo nextest run --workspace`).
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace binaries first (cargo build --workspace)",
        path.display()
    );
    path
}

/// Private key of a signer as 0x-hex, for the processes' environment.
pub fn key_hex(signer: &PrivateKeySigner) -> String {
    format!("0x{}", hex::encode(signer.to_bytes()))
}

/// What one run of a binary printed, for assertions that name the command.
pub struct Run {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
}

impl Run {
    /// What `program` run with `args` printed.
    pub fn of(program: &str, output: Output, args: &[&str]) -> Self {
        Self {
            ok: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            command: format!("{program} {}", args.join(" ")),
        }
    }

    /// Asserts it exited 0.
    pub fn success(self) -> Self {
        assert!(
            self.ok,
            "`{}` failed:\nstdout: {}\nstderr: {}",
            self.command, self.stdout, self.stderr
        );
        self
    }

    /// Asserts it failed.
    pub fn failure(self) -> Self {
        assert!(
            !self.ok,
            "`{}` should fail:\nstdout: {}\nstderr: {}",
            self.command, self.stdout, self.stderr
        );
        self
    }

    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}` printed no JSON ({e}):\n{}\nstderr: {}",
                self.command, self.stdout, self.stderr
            )
        })
    }
}

/// A relayer running as its own process, killable with SIGKILL.
pub struct RelayerProcess {
    child: Child,
    log: PathBuf,
}

impl RelayerProcess {
    /// Starts `drawbridge-relayer` on `deployment` signing as `signer`, with its SQLite database
    /// `db_name` and its log in `dir`, polling every 300 ms.
    pub fn spawn(
        deployment: &Path,
        dir: &Path,
        signer: &PrivateKeySigner,
        db_name: &str,
        extra_args: &[&str],
    ) -> Self {
        Self::spawn_with_fd_limit(deployment, dir, signer, db_name, extra_args, None)
    }

    /// [`RelayerProcess::spawn`] with the process's open-file limit set to `nofile` (through the
    /// shell's `ulimit -n`), as on a host with a small default limit.
    pub fn spawn_with_fd_limit(
        deployment: &Path,
        dir: &Path,
        signer: &PrivateKeySigner,
        db_name: &str,
        extra_args: &[&str],
        nofile: Option<u64>,
    ) -> Self {
        let db = dir.join(db_name);
        let log = dir.join(format!("{db_name}.log"));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("relayer log");
        let mut command = match nofile {
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(binary("drawbridge-relayer"));
                sh
            }
            None => Command::new(binary("drawbridge-relayer")),
        };
        let child = command
            .arg("--deployment")
            .arg(deployment)
            .arg("--database-url")
            .arg(format!("sqlite://{}?mode=rwc", db.display()))
            .arg("--poll-interval")
            .arg("300ms")
            .args(extra_args)
            .env("DRAWBRIDGE_RELAYER_KEY", key_hex(signer))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("relayer starts");
        Self { child, log }
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    pub fn kill(mut self) {
        self.child.kill().expect("kill relayer");
        self.child.wait().expect("reap relayer");
    }

    /// The relayer's log so far (for assertion messages).
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

/// A process's log file so far (empty while it does not exist).
pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `drawbridge-council` binary run in one working directory that holds the members' files,
/// with their passphrase in the environment and nothing else inherited but `PATH`.
pub struct CouncilCli {
    /// Working directory (every relative path of the arguments is inside it).
    pub dir: PathBuf,
    /// Passphrase of every member's secret files (`DRAWBRIDGE_COUNCIL_PASSPHRASE`).
    pub passphrase: String,
}

impl CouncilCli {
    /// A command for the binary; `extra_env` adds variables (e.g. `DRAWBRIDGE_PRIVATE_KEY`).
    pub fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(binary("drawbridge-council"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DRAWBRIDGE_COUNCIL_PASSPHRASE", &self.passphrase)
            .current_dir(&self.dir)
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs to completion.
    pub fn run(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        self.command(args, extra_env)
            .output()
            .expect("drawbridge-council runs")
    }

    /// Runs with `--json`, asserts success and parses standard output.
    pub fn json(&self, args: &[&str], extra_env: &[(&str, &str)]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        Run::of("drawbridge-council", self.run(&all, extra_env), &all)
            .success()
            .json()
    }

    /// Starts a process with standard output and error captured (`wait_with_output`).
    pub fn spawn(&self, args: &[String]) -> Child {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.command(&args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("drawbridge-council starts")
    }
}

/// A `drawbridge-council coordinator` process (SQLite in the council directory), killed on drop.
pub struct CoordinatorProcess {
    child: Child,
    /// Its base URL.
    pub url: String,
    log: PathBuf,
}

impl CoordinatorProcess {
    /// Starts the coordinator on a free port with the council's `book` and, with `submit`
    /// (`(rpc_url, key)`), submission of every signed action to that chain.
    pub fn spawn(cli: &CouncilCli, book: &str, submit: Option<(&str, &PrivateKeySigner)>) -> Self {
        use std::io::BufRead;
        let log = cli.dir.join("coordinator.log");
        let db = format!(
            "sqlite://{}?mode=rwc",
            cli.dir.join("coordinator.sqlite").display()
        );
        let mut args = vec![
            "coordinator",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--address-book",
            book,
        ];
        let key;
        let mut env = vec![("RUST_LOG", "info"), ("NO_COLOR", "1")];
        if let Some((rpc, signer)) = submit {
            args.extend(["--rpc-url", rpc]);
            key = key_hex(signer);
            env.push(("DRAWBRIDGE_PRIVATE_KEY", &key));
        }
        let log_file = std::fs::File::create(&log).expect("coordinator log");
        let mut child = cli
            .command(&args, &env)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("coordinator starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("coordinator prints its address");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("coordinator start line {line:?}: {}", read_log(&log)));
        let url = format!("http://{addr}");
        Self { child, url, log }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }
}

impl Drop for CoordinatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `127.0.0.1:PORT` with a port that was free a moment ago (bound and released), for a process's
/// `--api-listen`.
pub fn free_listen_address() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port();
    format!("127.0.0.1:{port}")
}

/// A plain HTTP/1.0 GET of `path` on `base` (`http://HOST:PORT`, no TLS): the status code and the
/// body, or `None` while nothing answers there (e.g. a relayer API still starting).
pub async fn http_get(base: &str, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.strip_prefix("http://").expect("an http:// URL");
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .ok()?
        .ok()?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, body.to_string()))
}
