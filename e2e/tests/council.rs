//! The security council end to end (issue 3), every member a separate `drawbridge-council`
//! process talking to one coordinator process that submits to L1:
//! a 9-of-12 DKG without a dealer -> the bridge deployed with that group key -> a pause signed
//! through the coordinator -> a deposit refused (`BridgePaused`) one second before the pause
//! ends, accepted at its end -> an upgrade of the `L1Bridge` proxy to a freshly deployed
//! implementation scheduled, `execute` refused by the CLI early and reverted one second before
//! `eta`, accepted after it, the proxy's escrow and message count preserved -> two challenged
//! outputs resolved by the council, one valid (the proposer gets the challenger's bond), one
//! invalid (the challenger gets both bonds) -> a second DKG and a key rotation scheduled and
//! executed -> a pause signed with the old key is refused by the council (simulated through the
//! coordinator and sent as a real transaction), the same action signed with the new key passes.
//!
//! The chains automine (one block per transaction) so a transaction can be placed at an exact
//! timestamp; waiting out delays is `evm_increaseTime`, never sleeping.

use std::process::Child;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use drawbridge_bindings::{IL1Bridge, IOutputOracle, L1Bridge, SecurityCouncil};
use drawbridge_deployment::{CouncilKey, Params, Preset};
use drawbridge_testkit::{
    Chains, CoordinatorProcess, CouncilCli, Mined, TestBed, increase_time, latest_timestamp,
    milli_units, mine, set_next_block_timestamp,
};
use serde_json::Value;

const MEMBERS: u16 = 12;
const THRESHOLD: u16 = 9;
/// ERC-1967 implementation slot.
const IMPLEMENTATION_SLOT: B256 =
    alloy::primitives::b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits for a member process; asserts it succeeded and returns its JSON output and stderr.
fn finish(child: Child, who: &str) -> (Value, String) {
    let out = child.wait_with_output().expect("member process");
    let stderr = stderr_of(&out);
    assert!(
        out.status.success(),
        "{who} failed: {stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{who} printed no JSON ({e}): {stderr}"));
    (v, stderr)
}

struct Council {
    cli: CouncilCli,
    coordinator: CoordinatorProcess,
}

impl Council {
    /// Member `i` runs `member <verb>` for `session` as its own process (with `--yes` and a 120 s
    /// timeout), `extra` after its identity and address book.
    fn member(&self, i: u16, verb: &str, session: &str, extra: &[&str]) -> Child {
        let identity = format!("m{i}/identity.json");
        let mut args = vec![
            "--json",
            "member",
            verb,
            "--coordinator",
            &self.coordinator.url,
            "--session",
            session,
            "--identity",
            &identity,
            "--book",
            "book.json",
        ];
        args.extend_from_slice(extra);
        args.extend(["--timeout", "120", "--yes"]);
        self.cli.spawn(&s(&args))
    }

    /// A DKG among all 12 members, each `member dkg` its own process, through the coordinator;
    /// every member writes `m<i>/<key>.json` and `m<i>/<key>-public.json`. Returns the group key
    /// in contract form, after checking that all 12 members computed the same one.
    fn dkg(&self, session: &str, key: &str) -> CouncilKey {
        let url = &self.coordinator.url;
        self.cli.json(
            &[
                "session",
                "create-dkg",
                "--coordinator",
                url,
                "--identity",
                "m1/identity.json",
                "--book",
                "book.json",
                "--session",
                session,
                "--threshold",
                &THRESHOLD.to_string(),
            ],
            &[],
        );
        let members: Vec<Child> = (1..=MEMBERS)
            .map(|i| {
                self.member(
                    i,
                    "dkg",
                    session,
                    &[
                        "--key-out",
                        &format!("m{i}/{key}.json"),
                        "--public-out",
                        &format!("m{i}/{key}-public.json"),
                    ],
                )
            })
            .collect();
        let keys: Vec<String> = members
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let (v, _) = finish(m, &format!("member {} dkg {session}", i + 1));
                v["compressed"]
                    .as_str()
                    .expect("compressed key")
                    .to_string()
            })
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] == w[1]),
            "members disagree on the group key: {keys:?}\n{}",
            self.coordinator.log()
        );
        let v = self.cli.json(
            &["export-key", "--public", &format!("m1/{key}-public.json")],
            &[],
        );
        assert_eq!(v["compressed"], keys[0]);
        CouncilKey {
            x: v["x"].as_str().unwrap().parse().unwrap(),
            y: v["y"].as_str().unwrap().parse().unwrap(),
        }
    }

    /// Builds an action with `action <args> --out <file>`; returns the JSON (`action`, `view`).
    fn action(&self, args: &[&str], file: &str) -> Value {
        let mut all = vec!["action"];
        all.extend_from_slice(args);
        all.extend(["--out", file]);
        self.cli.json(&all, &[])
    }

    /// A signing session for the action file, requested by the first signer; each signer runs
    /// `member sign --yes` as its own process with the key package `key`; every signer must have
    /// been shown `shown`. Returns the session as `session wait` prints it (signed, and with the
    /// coordinator's submission outcome: `txHash` or `error`).
    fn sign(&self, session: &str, action: &str, key: &str, signers: &[u16], shown: &str) -> Value {
        let url = &self.coordinator.url;
        let list = signers
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let first = signers[0];
        self.cli.json(
            &[
                "session",
                "create-sign",
                "--coordinator",
                url,
                "--identity",
                &format!("m{first}/identity.json"),
                "--book",
                "book.json",
                "--session",
                session,
                "--action",
                action,
                "--public",
                &format!("m{first}/{key}-public.json"),
                "--signers",
                &list,
            ],
            &[],
        );
        let procs: Vec<(u16, Child)> = signers
            .iter()
            .map(|&i| {
                (
                    i,
                    self.member(
                        i,
                        "sign",
                        session,
                        &[
                            "--key-package",
                            &format!("m{i}/{key}.json"),
                            "--nonce-dir",
                            &format!("m{i}/nonces-{key}"),
                        ],
                    ),
                )
            })
            .collect();
        for (i, p) in procs {
            let (v, stderr) = finish(p, &format!("member {i} sign {session}"));
            assert_eq!(v["session"], session);
            assert!(
                stderr.contains(shown),
                "member {i} was not shown {shown:?}: {stderr}"
            );
        }
        let args = [
            "--json",
            "session",
            "wait",
            "--coordinator",
            url,
            "--session",
            session,
            "--timeout",
            "120",
        ];
        let out = self.cli.run(&args, &[]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("session wait printed one JSON document ({e}): {stdout}"));
        assert_eq!(v["status"], "signed", "{v}");
        // Signed but refused by the chain: `session wait` fails, naming the refusal.
        assert_eq!(
            out.status.success(),
            v["error"].is_null(),
            "session wait's exit status must say whether the submission went through: {v}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        v
    }

    /// [`Council::sign`] and asserts that the coordinator's submission went through.
    fn sign_and_submit(
        &self,
        session: &str,
        action: &str,
        key: &str,
        signers: &[u16],
        shown: &str,
    ) -> B256 {
        let v = self.sign(session, action, key, signers, shown);
        assert!(
            v["error"].is_null(),
            "submission of {session} failed: {v}\n{}",
            self.coordinator.log()
        );
        v["txHash"]
            .as_str()
            .unwrap_or_else(|| panic!("no txHash for {session}: {v}"))
            .parse()
            .unwrap()
    }
}

/// The `scheduled id` of a schedule action's view.
fn scheduled_id(action: &Value) -> String {
    action["view"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .find(|kv| kv[0] == "scheduled id")
        .expect("a scheduled id")[1]
        .as_str()
        .unwrap()
        .to_string()
}

async fn receipt_at(l1: &DynProvider, tx: TransactionRequest) -> (TransactionReceipt, u64) {
    let receipt = l1
        .send_transaction(tx)
        .await
        .expect("sent")
        .get_receipt()
        .await
        .expect("mined");
    let block = l1
        .get_block_by_number(receipt.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap();
    (receipt, block.header.timestamp)
}

#[tokio::test(flavor = "multi_thread")]
async fn council_dkg_pause_upgrade_disputes_and_rotation_through_processes() {
    let chains = Chains::start();
    let members_dir = tempfile::tempdir().unwrap();
    let cli = CouncilCli {
        dir: members_dir.path().to_path_buf(),
        passphrase: "e2e council passphrase".into(),
    };
    // Identities and the address book.
    for i in 1..=MEMBERS {
        cli.json(
            &[
                "identity",
                "--id",
                &i.to_string(),
                "--name",
                &format!("member-{i}"),
                "--identity-out",
                &format!("m{i}/identity.json"),
                "--member-out",
                &format!("entries/{i}.json"),
            ],
            &[],
        );
    }
    let entries: Vec<String> = (1..=MEMBERS).map(|i| format!("entries/{i}.json")).collect();
    let mut book_args = vec!["address-book", "--out", "book.json"];
    book_args.extend(entries.iter().map(String::as_str));
    assert_eq!(
        cli.json(&book_args, &[])["members"]
            .as_array()
            .unwrap()
            .len(),
        12
    );

    let l1_url = chains.l1.endpoint();
    let submitter = chains.accounts.council.clone();
    let coordinator = CoordinatorProcess::spawn(&cli, "book.json", Some((&l1_url, &submitter)));
    let council = Council { cli, coordinator };

    // 1. DKG without a dealer; the bridge deployed with its key.
    let key1 = council.dkg("dkg-1", "key1");
    let params = Params::preset(Preset::Devnet);
    let bed: TestBed = chains.deploy(params.clone(), key1).await;
    let d = bed.devnet.deployment.clone();
    let council_addr = d.council.as_ref().expect("a council").l1;
    let council_s = council_addr.to_string();
    let accounts = bed.devnet.accounts.clone();
    let sc = SecurityCouncil::new(council_addr, &bed.l1);
    let x = sc.groupKey().call().await.unwrap().x;
    assert_eq!(x, key1.x, "the council holds the DKG key");

    // 2. Pause through the coordinator.
    let user = accounts.users[0].clone();
    let l1_user = bed.l1_as(&user);
    let bridge_user = IL1Bridge::new(d.l1.l1_bridge, &l1_user);
    let recipient = Address::repeat_byte(0x77);
    let deposit = |value: U256| bridge_user.depositETH(recipient).value(value);
    deposit(milli_units(1000)).mined().await;
    // A pause of `duration` seconds, built into `file`.
    let pause = |duration: &str, file: &str| {
        let args = [
            "pause",
            "--council",
            &council_s,
            "--rpc-url",
            &l1_url,
            "--duration",
            duration,
        ];
        council.action(&args, file)
    };
    let a = pause(&params.max_pause.to_string(), "pause.json");
    assert_eq!(a["view"]["kind"], "pause");
    council.sign_and_submit(
        "pause-1",
        "pause.json",
        "key1",
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        "action:    pause (kind 1)",
    );
    let bridge = IL1Bridge::new(d.l1.l1_bridge, &bed.l1);
    let until = bridge.pausedUntil().call().await.unwrap();
    assert!(until > latest_timestamp(&bed.l1).await, "paused");
    assert_eq!(sc.nonce().call().await.unwrap(), U256::from(1));

    // 3. Deposits refused while paused, up to the last second; the pause ends by itself.
    let err = deposit(milli_units(10)).call().await.unwrap_err();
    let decoded = err
        .as_decoded_interface_error::<IL1Bridge::IL1BridgeErrors>()
        .map(|e| format!("{e:?}"))
        .unwrap_or_else(|| panic!("not an L1Bridge error: {err}"));
    assert!(decoded.contains("BridgePaused"), "{decoded}");
    // A deposit of 0.01 ETH in a block of time `timestamp`: its receipt and the block's time.
    let deposit_at = |timestamp: u64| {
        let request = deposit(milli_units(10))
            .gas(300_000)
            .into_transaction_request();
        let (l1, l1_user) = (&bed.l1, &l1_user);
        async move {
            set_next_block_timestamp(l1, timestamp).await;
            receipt_at(l1_user, request).await
        }
    };
    let (r, at) = deposit_at(until - 1).await;
    assert!(
        !r.status(),
        "a deposit one second before the end is refused"
    );
    assert_eq!(at, until - 1);
    let count_before = bridge.messageCount().call().await.unwrap();
    let (r, at) = deposit_at(until).await;
    assert!(r.status(), "the pause ended by itself at {until}");
    assert_eq!(at, until);
    assert_eq!(
        bridge.messageCount().call().await.unwrap(),
        count_before + 1
    );

    // 4. Upgrade the L1Bridge proxy to a fresh implementation, behind the timelock.
    let deployer = bed.l1_as(&accounts.deployer);
    let new_impl =
        drawbridge_testkit::create(&deployer, L1Bridge::BYTECODE.clone(), 29_000_000).await;
    let impl_of = || async {
        let word = bed
            .l1
            .get_storage_at(d.l1.l1_bridge, U256::from_be_bytes(IMPLEMENTATION_SLOT.0))
            .await
            .unwrap();
        Address::from_word(B256::from(word))
    };
    let old_impl = impl_of().await;
    assert_ne!(old_impl, new_impl);
    let escrow_before = bridge.escrowed(Address::ZERO).call().await.unwrap();
    let count_before = bridge.messageCount().call().await.unwrap();
    let a = council.action(
        &[
            "upgrade",
            "--council",
            &council_s,
            "--rpc-url",
            &l1_url,
            "--proxy",
            &d.l1.l1_bridge.to_string(),
            "--implementation",
            &new_impl.to_string(),
        ],
        "upgrade.json",
    );
    let id = scheduled_id(&a);
    council.sign_and_submit(
        "upgrade-1",
        "upgrade.json",
        "key1",
        &[4, 5, 6, 7, 8, 9, 10, 11, 12],
        "upgradeToAndCall(",
    );
    let id_b: B256 = id.parse().unwrap();
    let eta = sc.operation(id_b).call().await.unwrap().eta;
    assert!(eta >= latest_timestamp(&bed.l1).await + params.upgrade_delay - 1);
    let payer = [(
        "DRAWBRIDGE_PRIVATE_KEY",
        drawbridge_testkit::key_hex(&accounts.challenger),
    )];
    let payer: Vec<(&str, &str)> = payer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let execute = [
        "execute",
        "--council",
        &council_s,
        "--id",
        &id,
        "--rpc-url",
        &l1_url,
    ];
    let early = council.cli.run(&execute, &payer);
    assert!(!early.status.success());
    assert!(
        stderr_of(&early).contains("NotReady"),
        "{}",
        stderr_of(&early)
    );
    // One second before eta, as a real transaction: reverted, nothing changed.
    set_next_block_timestamp(&bed.l1, eta - 1).await;
    let anyone = bed.l1_as(&accounts.users[1]);
    let (r, at) = receipt_at(
        &anyone,
        SecurityCouncil::new(council_addr, &anyone)
            .execute(id_b)
            .gas(1_000_000)
            .into_transaction_request(),
    )
    .await;
    assert!(!r.status(), "execute one second before eta reverts");
    assert!(r.gas_used < 1_000_000, "reverted, not out of gas");
    assert_eq!(at, eta - 1);
    assert_eq!(impl_of().await, old_impl);
    set_next_block_timestamp(&bed.l1, eta).await;
    mine(&bed.l1).await;
    let v = council.cli.json(&execute, &payer);
    assert!(v["txHash"].as_str().unwrap().starts_with("0x"));
    assert_eq!(
        impl_of().await,
        new_impl,
        "the proxy runs the new implementation"
    );
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        escrow_before
    );
    assert_eq!(bridge.messageCount().call().await.unwrap(), count_before);
    assert_eq!(
        bed.l1.get_balance(d.l1.l1_bridge).await.unwrap(),
        escrow_before
    );
    let r = deposit(milli_units(5)).mined().await;
    assert!(r.status(), "deposits work through the upgraded proxy");
    assert_eq!(
        bridge.messageCount().call().await.unwrap(),
        count_before + 1
    );
    assert_eq!(
        bridge.escrowed(Address::ZERO).call().await.unwrap(),
        escrow_before + milli_units(5)
    );

    // 5. Two outputs challenged; the council upholds output 0 and deletes output 1.
    let challenger = IOutputOracle::new(d.l1.output_oracle, bed.l1_as(&accounts.challenger));
    bed.propose_made_up_outputs(&[(1, 0x11), (2, 0x22)], params.proposer_bond)
        .await;
    for index in [0u64, 1] {
        let r = challenger
            .challenge(U256::from(index))
            .value(params.challenger_bond)
            .mined()
            .await;
        assert!(r.status(), "challenge of output {index}");
    }
    let oracle = IOutputOracle::new(d.l1.output_oracle, &bed.l1);
    let credit = |who: Address| {
        let oracle = oracle.clone();
        async move { oracle.bondCredit(who).call().await.unwrap() }
    };
    // The council resolves the dispute of output `index` (`valid` or not), signed by `signers`,
    // each shown `shown`.
    let resolve = |index: u64, valid: bool, signers: &[u16], shown: &str| {
        let session = format!("resolve-{index}");
        let file = format!("{session}.json");
        let (index, valid) = (index.to_string(), valid.to_string());
        council.action(
            &[
                "resolve",
                "--council",
                &council_s,
                "--rpc-url",
                &l1_url,
                "--output-index",
                &index,
                "--valid",
                &valid,
            ],
            &file,
        );
        council.sign_and_submit(&session, &file, "key1", signers, shown);
    };
    let (p0, c0) = (
        credit(accounts.relayer.address()).await,
        credit(accounts.challenger.address()).await,
    );
    resolve(
        0,
        true,
        &[1, 3, 5, 7, 9, 10, 11, 12, 2],
        "valid: the output is upheld",
    );
    assert_eq!(
        credit(accounts.relayer.address()).await,
        p0 + params.challenger_bond,
        "upheld: the proposer gets the challenger's bond"
    );
    assert_eq!(credit(accounts.challenger.address()).await, c0);
    assert_eq!(oracle.outputCount().call().await.unwrap(), U256::from(2));
    resolve(
        1,
        false,
        &[2, 3, 4, 5, 6, 7, 8, 9, 10],
        "invalid: the output and every later output are deleted",
    );
    assert_eq!(
        credit(accounts.challenger.address()).await,
        c0 + params.proposer_bond + params.challenger_bond,
        "deleted: the challenger gets both bonds"
    );
    assert_eq!(
        credit(accounts.relayer.address()).await,
        p0 + params.challenger_bond
    );
    assert_eq!(oracle.outputCount().call().await.unwrap(), U256::from(1));
    // The challenger is paid: its balance grows by the credit minus the gas of the withdrawal.
    let before = bed
        .l1
        .get_balance(accounts.challenger.address())
        .await
        .unwrap();
    let r = challenger.withdrawBond().mined().await;
    let gas = U256::from(r.gas_used) * U256::from(r.effective_gas_price);
    assert_eq!(
        bed.l1
            .get_balance(accounts.challenger.address())
            .await
            .unwrap(),
        before + c0 + params.proposer_bond + params.challenger_bond - gas
    );

    // 6. A second DKG; rotation to its key as a scheduled call signed with the old key.
    let key2 = council.dkg("dkg-2", "key2");
    assert_ne!(key2.x, key1.x);
    let a = council.action(
        &[
            "rotate-key",
            "--council",
            &council_s,
            "--rpc-url",
            &l1_url,
            "--public",
            "m1/key2-public.json",
        ],
        "rotate.json",
    );
    let rotate_id = scheduled_id(&a);
    council.sign_and_submit(
        "rotate-1",
        "rotate.json",
        "key1",
        &[12, 11, 10, 9, 8, 7, 6, 5, 4],
        "rotateKey(",
    );
    increase_time(&bed.l1, params.upgrade_delay).await;
    let execute = [
        "execute",
        "--council",
        &council_s,
        "--id",
        &rotate_id,
        "--rpc-url",
        &l1_url,
    ];
    council.cli.json(&execute, &payer);
    let x = sc.groupKey().call().await.unwrap().x;
    assert_eq!(x, key2.x, "the council holds the new DKG key");

    // 7. The old key's signature is refused; the new key's passes.
    pause("5", "pause-2.json");
    let nonce = sc.nonce().call().await.unwrap();
    let v = council.sign(
        "pause-old-key",
        "pause-2.json",
        "key1",
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        "action:    pause (kind 1)",
    );
    let error = v["error"].as_str().unwrap_or_default();
    assert!(
        v["txHash"].is_null() && error.contains("InvalidSignature"),
        "the coordinator's submission with the old key must be refused: {v}"
    );
    // Also as a real transaction: reverted, nonce unchanged, not paused.
    let c = council.cli.json(
        &[
            "calldata",
            "--coordinator",
            &council.coordinator.url,
            "--session",
            "pause-old-key",
            "--book",
            "book.json",
        ],
        &[],
    );
    let calldata: Bytes = c["calldata"].as_str().unwrap().parse().unwrap();
    let (r, _) = receipt_at(
        &anyone,
        TransactionRequest::default()
            .with_to(council_addr)
            .with_input(calldata)
            .with_gas_limit(500_000),
    )
    .await;
    assert!(
        !r.status(),
        "a pause signed by the rotated-away key reverts"
    );
    assert_eq!(sc.nonce().call().await.unwrap(), nonce);
    let now = latest_timestamp(&bed.l1).await;
    assert!(bridge.pausedUntil().call().await.unwrap() <= now);
    council.sign_and_submit(
        "pause-new-key",
        "pause-2.json",
        "key2",
        &[3, 4, 5, 6, 7, 8, 9, 10, 11],
        "action:    pause (kind 1)",
    );
    assert_eq!(sc.nonce().call().await.unwrap(), nonce + U256::from(1));
    assert!(bridge.pausedUntil().call().await.unwrap() > latest_timestamp(&bed.l1).await);
}
