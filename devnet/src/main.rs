//! `drawbridge-devnet`: starts two anvil chains, generates a security council (trusted dealer,
//! 9 of 12 with devnet parameters) and writes its members' files for the council CLI, deploys
//! Drawbridge governed by it, funds the demo users with test tokens, starts a relayer process,
//! writes the deployment file every tool reads, prints what to try next, and shuts everything down
//! on Ctrl-C or SIGTERM. The public L2 endpoint is a sequencer gate that can censor addresses
//! (`--censor`) and the relayer can be run without delivering L1 messages (`--stop-l1-messages`);
//! both switch at runtime with `cast rpc devnet_*` on the L2 endpoint.

use std::path::{Path, PathBuf};

use alloy::network::EthereumWallet;
use alloy::primitives::U256;
use alloy::providers::ProviderBuilder;
use anyhow::{Context, bail};
use clap::Parser;
use drawbridge_bindings::TestToken;
use drawbridge_devnet::sequencer::RelayerOptions;
use drawbridge_devnet::{CouncilFiles, Devnet, DevnetOptions, Governance};

/// Two local chains with Drawbridge deployed and a relayer running.
#[derive(Debug, Parser)]
#[command(name = "drawbridge-devnet", version)]
struct Args {
    /// Directory for the deployment file, the relayer's database and its log. Wiped at start:
    /// the chains are new every time.
    #[arg(long, env = "DRAWBRIDGE_DEVNET_DIR", default_value = ".devnet")]
    state_dir: PathBuf,
    /// L1 JSON-RPC port.
    #[arg(long, default_value_t = 8545)]
    l1_port: u16,
    /// L2 JSON-RPC port (the sequencer gate in front of the L2 anvil, which listens on a free port).
    #[arg(long, default_value_t = 9545)]
    l2_port: u16,
    /// Seconds between blocks on both chains.
    #[arg(long, default_value_t = 1)]
    block_time: u64,
    /// Do not start a relayer (run one yourself with the printed command).
    #[arg(long)]
    no_relayer: bool,
    /// Port of the relayer's HTTP API (status, proofs, `/metrics`, `/openapi.json`).
    #[arg(long, default_value_t = 8547)]
    relayer_api_port: u16,
    /// Govern with plain accounts (the deployer upgrades, a funded key pauses) instead of a
    /// generated security council.
    #[arg(long)]
    plain_governance: bool,
    /// Passphrase of the council's key files in `<state-dir>/council` (devnet keys are not secret:
    /// it is also written to `<state-dir>/council/passphrase`).
    #[arg(long, env = "DRAWBRIDGE_COUNCIL_PASSPHRASE", default_value = "devnet")]
    council_passphrase: String,
    /// The sequencer ignores this address's L2 transactions (repeatable; at runtime:
    /// `cast rpc devnet_censor <address>` / `devnet_uncensor` on the L2 endpoint).
    #[arg(long, value_name = "ADDRESS")]
    censor: Vec<alloy::primitives::Address>,
    /// Run the relayer without delivering L1 messages (deposits and forced withdrawals are not
    /// processed on L2; outputs are still proposed). At runtime: `cast rpc devnet_stopL1Messages`
    /// / `devnet_resumeL1Messages` on the L2 endpoint.
    #[arg(long)]
    stop_l1_messages: bool,
}

/// Test tokens minted to each demo user on L1.
const DEMO_TOKENS: u64 = 1_000_000;

fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating drawbridge-devnet")?;
    let path = exe.with_file_name(name);
    if !path.exists() {
        bail!(
            "{} not found next to drawbridge-devnet: build it with `cargo build -p drawbridge-relayer`",
            path.display()
        );
    }
    Ok(path)
}

fn key_hex(signer: &alloy::signers::local::PrivateKeySigner) -> String {
    format!("0x{}", hex::encode(signer.to_bytes()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Args = drawbridge_service::output::parse_args();
    drawbridge_service::init_logging(drawbridge_service::LogFormat::Text, "warn");
    // A port already taken is said plainly, before anything starts.
    let mut ports = vec![("--l1-port", args.l1_port), ("--l2-port", args.l2_port)];
    if !args.no_relayer {
        ports.push(("--relayer-api-port", args.relayer_api_port));
    }
    for (flag, port) in ports {
        if let Err(e) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            bail!(
                "port {port} ({flag}) is not free: {e}; stop what listens there (an earlier devnet?) or pick another port with {flag}"
            );
        }
    }
    if args.state_dir.exists() {
        std::fs::remove_dir_all(&args.state_dir)
            .with_context(|| format!("clearing {}", args.state_dir.display()))?;
    }
    std::fs::create_dir_all(&args.state_dir)
        .with_context(|| format!("creating {}", args.state_dir.display()))?;
    let state_dir = args.state_dir.canonicalize()?;

    let governance = if args.plain_governance {
        Governance::Accounts
    } else {
        Governance::Council {
            files: Some(CouncilFiles {
                dir: state_dir.join("council"),
                passphrase: args.council_passphrase.clone(),
            }),
        }
    };
    let options = DevnetOptions {
        l1_port: Some(args.l1_port),
        l2_port: Some(args.l2_port),
        block_time: args.block_time,
        governance,
        censor: args.censor.clone(),
        stop_l1_messages: args.stop_l1_messages,
        ..DevnetOptions::default()
    };
    let devnet = Devnet::start(options)
        .await
        .context("starting the devnet")?;
    let accounts = &devnet.accounts;

    let token = devnet.test_token();
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(accounts.deployer.clone()))
        .connect_http(devnet.l1.endpoint_url());
    let amount = U256::from(DEMO_TOKENS) * U256::from(10).pow(U256::from(18));
    for user in &accounts.users {
        TestToken::new(token, &l1)
            .mint(user.address(), amount)
            .send()
            .await?
            .get_receipt()
            .await
            .context("minting demo tokens")?;
    }

    // Scripts wait for this file as the sign that the chains and contracts are ready; the relayer
    // catches up from the deploy blocks whenever it starts.
    let deployment_path = state_dir.join("deployment.json");
    devnet.deployment.save(&deployment_path)?;
    let relayer = !args.no_relayer;
    if relayer {
        devnet.start_relayer(RelayerOptions {
            binary: sibling_binary("drawbridge-relayer")?,
            deployment_file: deployment_path.clone(),
            database_url: format!(
                "sqlite://{}?mode=rwc",
                state_dir.join("relayer.sqlite").display()
            ),
            log: state_dir.join("relayer.log"),
            extra_args: vec![
                "--api-listen".into(),
                format!("127.0.0.1:{}", args.relayer_api_port),
            ],
        })?;
    }
    print_welcome(
        &devnet,
        &deployment_path,
        &state_dir,
        relayer,
        args.relayer_api_port,
    );

    tokio::select! {
        _ = drawbridge_service::shutdown_signal() => {}
        why = devnet.sequencer.relayer_exited(), if relayer => {
            eprintln!("the relayer exited ({why}); see {}", state_dir.join("relayer.log").display());
        }
    }
    eprintln!("stopping the devnet");
    let _ = std::fs::remove_file(&deployment_path);
    drop(devnet);
    Ok(())
}

fn print_welcome(
    devnet: &Devnet,
    deployment: &Path,
    state_dir: &Path,
    relayer: bool,
    api_port: u16,
) {
    let d = &devnet.deployment;
    let user = &devnet.accounts.users[0];
    println!("Drawbridge devnet is up.");
    println!();
    println!("  L1  chain {}  {}", d.l1.chain_id, d.l1.rpc_url);
    println!("  L2  chain {}  {}", d.l2.chain_id, d.l2.rpc_url);
    println!("  L1Bridge      {}", d.l1.l1_bridge);
    println!("  OutputOracle  {}", d.l1.output_oracle);
    println!("  L2Bridge      {}", d.l2.l2_bridge);
    println!("  L1RootOracle  {}", d.l2.root_oracle);
    println!(
        "  TestToken     {} (L1; {DEMO_TOKENS} minted to each demo user)",
        devnet.test_token()
    );
    println!(
        "  L2 anvil      {} (behind the sequencer gate at {})",
        devnet.l2_anvil_url(),
        d.l2.rpc_url
    );
    println!("  deployment    {}", deployment.display());
    if relayer {
        println!(
            "  relayer log   {}",
            state_dir.join("relayer.log").display()
        );
        println!(
            "  relayer API   http://127.0.0.1:{api_port}/status (metrics at /metrics, OpenAPI at /openapi.json)"
        );
    } else {
        println!("  relayer       not started (--no-relayer); to run one:");
        println!(
            "    DRAWBRIDGE_RELAYER_KEY={} cargo run -q -p drawbridge-relayer -- --deployment {} --database-url sqlite://{}?mode=rwc --api-listen 127.0.0.1:{api_port}",
            key_hex(&devnet.accounts.relayer),
            deployment.display(),
            state_dir.join("relayer.sqlite").display()
        );
    }
    match (&d.council, &devnet.council) {
        (Some(c), Some(council)) => {
            println!(
                "  L1 council    {} (SecurityCouncil: pauser, dispute verdicts, upgrade admin of the L1 proxies)",
                c.l1
            );
            println!(
                "  L2 council    {} (SecurityCouncil: upgrade admin of the L2 proxies)",
                c.l2
            );
            println!(
                "  council       {} of {}, trusted dealer (devnet keys, not secret), files in {}",
                d.params.council_threshold,
                d.params.council_size,
                council
                    .dir
                    .as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        }
        _ => println!(
            "  governance    plain accounts: {} upgrades, {} pauses",
            d.roles.governance, d.roles.council
        ),
    }
    println!(
        "  windows       challenge {} s, forced inclusion {} s, council response {} s, exit {} s, upgrade delay {} s, pause at most {} s",
        d.params.challenge_period,
        d.params.forced_inclusion_window,
        d.params.council_response_window,
        d.params.exit_window,
        d.params.upgrade_delay,
        d.params.max_pause
    );
    println!();
    println!("Try, in another terminal (a well-known anvil test key: never use it elsewhere):");
    println!("  export DRAWBRIDGE_DEPLOYMENT={}", deployment.display());
    println!("  export DRAWBRIDGE_PRIVATE_KEY={}", key_hex(user));
    println!("  alias drawbridge='cargo run -q -p drawbridge-cli --'");
    println!("  drawbridge deposit --token eth --amount 1");
    println!(
        "  drawbridge deposit --token {} --amount 250",
        devnet.test_token()
    );
    println!("  drawbridge status --address {}", user.address());
    println!("  drawbridge withdraw --token eth --amount 0.25");
    println!("  drawbridge status --withdrawal 0");
    println!();
    print_sequencer(devnet);
    print_council(devnet);
    println!("Ctrl-C stops everything.");
}

/// The censorship switch: what is on now and how to flip it by hand.
fn print_sequencer(devnet: &Devnet) {
    let url = devnet.l2_rpc_url();
    let censored = devnet.sequencer.censored();
    println!("Sequencer (censorship switch on the L2 endpoint):");
    if censored.is_empty() {
        println!("  censoring     nobody");
    } else {
        for address in censored {
            println!("  censoring     {address} (its L2 transactions are answered and dropped)");
        }
    }
    println!(
        "  L1 messages   {}",
        if devnet.sequencer.l1_messages() {
            "delivered"
        } else {
            "STOPPED (the relayer runs without deliver; outputs are still proposed)"
        }
    );
    println!(
        "  tools/bin/cast rpc devnet_censor <address> --rpc-url {url}    # devnet_uncensor undoes it"
    );
    println!(
        "  tools/bin/cast rpc devnet_stopL1Messages --rpc-url {url}      # devnet_resumeL1Messages undoes it"
    );
    println!("  tools/bin/cast rpc devnet_sequencerStatus --rpc-url {url}");
    println!();
}

/// How to sign and submit a council action with the council CLI in file mode against this devnet.
fn print_council(devnet: &Devnet) {
    let (Some(c), Some(dir)) = (
        &devnet.deployment.council,
        devnet.council.as_ref().and_then(|c| c.dir.as_deref()),
    ) else {
        return;
    };
    let d = &devnet.deployment;
    let t = d.params.council_threshold;
    println!(
        "Council: members 1..{t} pause the L1 bridge for 20 s (file mode of the council CLI; devnet/README.md explains each step):"
    );
    println!(
        "  export DRAWBRIDGE_COUNCIL_PASSPHRASE=$(cat {}/passphrase)",
        dir.display()
    );
    println!(
        "  alias council='cargo run -q -p drawbridge-council --'; C={}; S=$C/pause-0; mkdir -p $S",
        dir.display()
    );
    let signers = (1..=t).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    println!(
        "  council action pause --council {} --rpc-url {} --duration 20 --out $S/action.json",
        c.l1, d.l1.rpc_url
    );
    println!(
        "  council sign-request --identity $C/identity-1.json --book $C/book.json --session pause-0 --action $S/action.json --public $C/public.json --signers {signers} --out $S/request.json"
    );
    println!(
        "  for i in $(seq 1 {t}); do council sign-commit --identity $C/identity-$i.json --key $C/key-$i.json --nonce-dir $C/nonces-$i --book $C/book.json --request $S/request.json --yes --out $S/commitments/$i.json; done"
    );
    println!(
        "  council sign-package --book $C/book.json --request $S/request.json --commitment-dir $S/commitments --out $S/package.json"
    );
    println!(
        "  for i in $(seq 1 {t}); do council sign-share --identity $C/identity-$i.json --key $C/key-$i.json --nonce-dir $C/nonces-$i --book $C/book.json --request $S/request.json --own $S/commitments/$i.json --package $S/package.json --yes --out $S/shares/$i.json; done"
    );
    println!(
        "  council aggregate --book $C/book.json --request $S/request.json --package $S/package.json --share-dir $S/shares --out $S/signed.json"
    );
    println!(
        "  DRAWBRIDGE_PRIVATE_KEY={} council submit --signed $S/signed.json --rpc-url {}",
        key_hex(&devnet.accounts.council),
        d.l1.rpc_url
    );
    println!(
        "  (any funded key may submit; `council member ...` and `council session ...` do the same through a coordinator: council/README.md)"
    );
    println!();
}
