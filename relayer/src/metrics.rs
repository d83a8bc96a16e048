//! Prometheus metrics in the text exposition format (version 0.0.4), written by hand: a handful
//! of gauges and counters does not need a registry crate, only correct `# HELP` / `# TYPE` lines
//! and escaped label values.
//!
//! The process keeps what only it sees (chain heads, balances, gas it paid, errors, alerts) in
//! [`Metrics`]; what the database knows (cursors, queues, submissions by state, leases) is read
//! at every scrape, so every relayer sharing a database reports the same totals.

use alloy::primitives::Address;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use alloy::primitives::U256;

/// What the monitor saw of one chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ChainView {
    /// Latest block number.
    pub head: Option<u64>,
    /// The relayer account's balance in wei.
    pub balance: Option<U256>,
    /// Whether the balance is below the configured minimum.
    pub balance_low: bool,
}

#[derive(Debug, Default)]
struct Inner {
    chains: BTreeMap<&'static str, ChainView>,
    gas_used: BTreeMap<&'static str, u64>,
    fees_wei: BTreeMap<&'static str, U256>,
    round_errors: BTreeMap<String, u64>,
    alerts: BTreeMap<&'static str, u64>,
    /// Set while a role refuses to act (deep reorg, a leaf or root that does not match, ...).
    halted: BTreeMap<&'static str, String>,
    l2_messages_processed: Option<u64>,
    last_round_ok_ms: Option<i64>,
    rounds_ok: u64,
    watchdog: WatchdogCounts,
    /// What the watchdog reports as unhealthy (a wrong output it could not challenge, an L2 root
    /// L1 never committed), by a key of the finding.
    watchdog_problems: BTreeMap<String, String>,
    /// The conservation monitor's last check, per L1 token.
    backing: Vec<Backing>,
    /// Final outputs the finalize role refuses to pay against (wrong by its own checks), by a key
    /// of the output.
    finalize_problems: BTreeMap<String, String>,
}

/// What the watchdog did since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WatchdogCounts {
    /// Outputs recomputed from the L2 node.
    pub outputs_checked: u64,
    /// Outputs found wrong.
    pub wrong_outputs: u64,
    /// Challenges confirmed on L1.
    pub challenges_sent: u64,
    /// L1 roots published on L2 that were looked up on L1.
    pub roots_checked: u64,
}

/// Values this process observes; shared by the main loop, the monitor and the API.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_chain(&self, chain: &'static str, view: ChainView) {
        self.lock().chains.insert(chain, view);
    }

    pub fn chain(&self, chain: &'static str) -> ChainView {
        self.lock().chains.get(chain).copied().unwrap_or_default()
    }

    pub fn add_cost(&self, chain: &'static str, gas_used: u64, fee_wei: U256) {
        let mut inner = self.lock();
        *inner.gas_used.entry(chain).or_default() += gas_used;
        *inner.fees_wei.entry(chain).or_default() += fee_wei;
    }

    pub fn round_error(&self, role: &str) {
        *self
            .lock()
            .round_errors
            .entry(role.to_string())
            .or_default() += 1;
    }

    pub fn alert(&self, kind: &'static str) {
        *self.lock().alerts.entry(kind).or_default() += 1;
    }

    pub fn set_halted(&self, role: &'static str, reason: Option<String>) {
        let mut inner = self.lock();
        match reason {
            Some(reason) => {
                inner.halted.insert(role, reason);
            }
            None => {
                inner.halted.remove(role);
            }
        }
    }

    pub fn halted(&self) -> BTreeMap<&'static str, String> {
        self.lock().halted.clone()
    }

    pub fn set_l2_messages_processed(&self, n: u64) {
        self.lock().l2_messages_processed = Some(n);
    }

    pub fn l2_messages_processed(&self) -> Option<u64> {
        self.lock().l2_messages_processed
    }

    pub fn round_ok(&self, now_ms: i64) {
        let mut inner = self.lock();
        inner.last_round_ok_ms = Some(now_ms);
        inner.rounds_ok += 1;
    }

    pub fn last_round_ok_ms(&self) -> Option<i64> {
        self.lock().last_round_ok_ms
    }

    /// Counts one output the watchdog recomputed.
    pub fn output_checked(&self, wrong: bool) {
        let mut inner = self.lock();
        inner.watchdog.outputs_checked += 1;
        inner.watchdog.wrong_outputs += u64::from(wrong);
    }

    pub fn challenge_sent(&self) {
        self.lock().watchdog.challenges_sent += 1;
    }

    pub fn roots_checked(&self, n: u64) {
        self.lock().watchdog.roots_checked += n;
    }

    pub fn watchdog_counts(&self) -> WatchdogCounts {
        self.lock().watchdog
    }

    /// Replaces every watchdog finding at once (the watchdog recomputes them each round).
    pub fn set_watchdog_problems(&self, problems: BTreeMap<String, String>) {
        self.lock().watchdog_problems = problems;
    }

    pub fn watchdog_problem_keys(&self) -> std::collections::BTreeSet<String> {
        self.lock().watchdog_problems.keys().cloned().collect()
    }

    pub fn watchdog_problems(&self) -> Vec<String> {
        self.lock().watchdog_problems.values().cloned().collect()
    }

    /// Replaces the finalize role's refused final outputs (it recomputes them each round).
    pub fn set_finalize_problems(&self, problems: BTreeMap<String, String>) {
        self.lock().finalize_problems = problems;
    }

    pub fn finalize_problems(&self) -> Vec<String> {
        self.lock().finalize_problems.values().cloned().collect()
    }

    /// Replaces the conservation monitor's figures (empty: not checked, e.g. frozen).
    pub fn set_backing(&self, backing: Vec<Backing>) {
        self.lock().backing = backing;
    }

    /// The conservation monitor's last figures.
    pub fn backing(&self) -> Vec<Backing> {
        self.lock().backing.clone()
    }

    /// Writes this process's own series.
    pub fn write(&self, out: &mut Exposition) {
        let inner = self.lock();
        out.family(
            "drawbridge_relayer_head_block",
            "gauge",
            "Latest block number of the chain as last seen.",
        );
        for (chain, view) in &inner.chains {
            if let Some(head) = view.head {
                out.sample("drawbridge_relayer_head_block", &[("chain", chain)], head);
            }
        }
        out.family(
            "drawbridge_relayer_balance_wei",
            "gauge",
            "Balance of the relayer's account in wei.",
        );
        for (chain, view) in &inner.chains {
            if let Some(balance) = view.balance {
                out.sample_f64(
                    "drawbridge_relayer_balance_wei",
                    &[("chain", chain)],
                    u256_f64(balance),
                );
            }
        }
        out.family(
            "drawbridge_relayer_balance_low",
            "gauge",
            "1 while the relayer's balance is below the configured minimum (alert).",
        );
        for (chain, view) in &inner.chains {
            out.sample(
                "drawbridge_relayer_balance_low",
                &[("chain", chain)],
                u64::from(view.balance_low),
            );
        }
        out.family(
            "drawbridge_relayer_gas_used_total",
            "counter",
            "Gas used by the transactions this process settled.",
        );
        for chain in ["l1", "l2"] {
            out.sample(
                "drawbridge_relayer_gas_used_total",
                &[("chain", chain)],
                inner.gas_used.get(chain).copied().unwrap_or(0),
            );
        }
        out.family(
            "drawbridge_relayer_fees_paid_wei_total",
            "counter",
            "Fees (gas used times effective gas price) of the transactions this process settled, in wei.",
        );
        for chain in ["l1", "l2"] {
            out.sample_f64(
                "drawbridge_relayer_fees_paid_wei_total",
                &[("chain", chain)],
                u256_f64(inner.fees_wei.get(chain).copied().unwrap_or_default()),
            );
        }
        out.family(
            "drawbridge_relayer_round_errors_total",
            "counter",
            "Failed rounds per role (RPC, database or chain inconsistency).",
        );
        for (role, n) in &inner.round_errors {
            out.sample(
                "drawbridge_relayer_round_errors_total",
                &[("role", role)],
                *n,
            );
        }
        out.family(
            "drawbridge_relayer_alerts_total",
            "counter",
            "Alerts raised: low_balance, leaf_mismatch, l1_logs_inconsistent, inconsistency, lease_lost, wrong_output, challenge_missed, unknown_l1_root, forged_l1_message, unbacked_supply.",
        );
        for (kind, n) in &inner.alerts {
            out.sample("drawbridge_relayer_alerts_total", &[("kind", kind)], *n);
        }
        out.family(
            "drawbridge_relayer_halted",
            "gauge",
            "1 while a role refuses to act on what the chains show (see the logs and docs/operators.md).",
        );
        for role in crate::role::Role::ALL.map(|r| r.as_str()) {
            out.sample(
                "drawbridge_relayer_halted",
                &[("role", role)],
                u64::from(inner.halted.contains_key(role)),
            );
        }
        out.family(
            "drawbridge_relayer_rounds_ok_total",
            "counter",
            "Rounds that completed without error.",
        );
        out.sample("drawbridge_relayer_rounds_ok_total", &[], inner.rounds_ok);
        let w = inner.watchdog;
        for (name, help, value) in [
            (
                "drawbridge_relayer_watchdog_outputs_checked_total",
                "Outputs the watchdog recomputed from its L2 node.",
                w.outputs_checked,
            ),
            (
                "drawbridge_relayer_watchdog_wrong_outputs_total",
                "Outputs the watchdog found wrong (block hash, state root, withdrawal root or L1 messages processed differ).",
                w.wrong_outputs,
            ),
            (
                "drawbridge_relayer_watchdog_challenges_total",
                "Challenges the watchdog got confirmed on L1.",
                w.challenges_sent,
            ),
            (
                "drawbridge_relayer_watchdog_roots_checked_total",
                "L1 roots published on L2 that the watchdog looked up on L1.",
                w.roots_checked,
            ),
        ] {
            out.family(name, "counter", help);
            out.sample(name, &[], value);
        }
        out.family(
            "drawbridge_relayer_watchdog_problems",
            "gauge",
            "Open watchdog findings (alert): wrong outputs not (yet) challenged, L2 roots unknown on L1, forged L1 messages, unbacked tokens, L1 logs contradicting L1 state.",
        );
        out.sample(
            "drawbridge_relayer_watchdog_problems",
            &[],
            inner.watchdog_problems.len() as u64,
        );
        for (name, help, value) in [
            (
                "drawbridge_relayer_unbacked_supply",
                "Per L1 token, what L2 holds and is owed beyond L1's escrow (L2 supply + unpaid withdrawals - escrow, at least 0), in the token's smallest unit; positive: unbacked_supply alert.",
                (|b: &Backing| b.unbacked()) as fn(&Backing) -> U256,
            ),
            (
                "drawbridge_relayer_l2_supply",
                "Per L1 token, the total supply of its BridgedToken on L2 at the watchdog's confirmed L2 block.",
                |b| b.l2_supply,
            ),
            (
                "drawbridge_relayer_unpaid_withdrawals",
                "Per L1 token, withdrawals initiated on L2 that L1 has not paid yet.",
                |b| b.unpaid,
            ),
            (
                "drawbridge_relayer_l1_escrow",
                "Per L1 token, L1Bridge.escrowed(token).",
                |b| b.escrow,
            ),
        ] {
            out.family(name, "gauge", help);
            for b in &inner.backing {
                out.sample_f64(
                    name,
                    &[("token", &b.l1_token.to_string().to_lowercase())],
                    u256_f64(value(b)),
                );
            }
        }
        if let Some(ms) = inner.last_round_ok_ms {
            out.family(
                "drawbridge_relayer_last_round_ok_timestamp_seconds",
                "gauge",
                "Unix time of the last round without error.",
            );
            out.sample_f64(
                "drawbridge_relayer_last_round_ok_timestamp_seconds",
                &[],
                ms as f64 / 1000.0,
            );
        }
    }
}

/// Wei as a float for Prometheus (exact up to 2^53 wei, then rounded; fine for dashboards).
pub(crate) fn u256_f64(value: U256) -> f64 {
    value.to_string().parse().unwrap_or(f64::MAX)
}

/// A text exposition being written.
#[derive(Debug, Default)]
pub(crate) struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a metric family: `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn labels(labels: &[(&str, &str)]) -> String {
        if labels.is_empty() {
            return String::new();
        }
        let inner: Vec<String> = labels
            .iter()
            .map(|(k, v)| {
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                format!("{k}=\"{v}\"")
            })
            .collect();
        format!("{{{}}}", inner.join(","))
    }

    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        let _ = writeln!(self.text, "{name}{} {value}", Self::labels(labels));
    }

    pub fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = writeln!(self.text, "{name}{} {value}", Self::labels(labels));
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// One token's backing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backing {
    pub l1_token: Address,
    /// The BridgedToken on L2, `None` before the token's first deposit was processed.
    pub l2_token: Option<Address>,
    pub l2_supply: U256,
    pub unpaid: U256,
    pub escrow: U256,
}

impl Backing {
    /// What L2 holds (and is owed through pending withdrawals) beyond L1's escrow; 0 when backed.
    pub fn unbacked(&self) -> U256 {
        self.l2_supply
            .saturating_add(self.unpaid)
            .saturating_sub(self.escrow)
    }

    /// The watchdog finding of an unbacked token (key, text), if it is unbacked.
    pub fn problem(&self) -> Option<(String, String)> {
        let unbacked = self.unbacked();
        (!unbacked.is_zero()).then(|| {
            (
                format!("unbacked:{}", self.l1_token),
                format!(
                    "token {} is unbacked by {unbacked}: L2 supply {} + unpaid withdrawals {} exceed the L1 escrow {}",
                    self.l1_token, self.l2_supply, self.unpaid, self.escrow
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format_escapes_labels_and_declares_families() {
        let mut out = Exposition::default();
        out.family("x_total", "counter", "A help text with \\ and\nnewline.");
        out.sample("x_total", &[("a", "q\"uo\\te\nd"), ("b", "2")], 7);
        out.sample_f64("x_total", &[], 1.5);
        let text = out.finish();
        assert_eq!(
            text,
            "# HELP x_total A help text with \\\\ and\\nnewline.\n# TYPE x_total counter\n\
             x_total{a=\"q\\\"uo\\\\te\\nd\",b=\"2\"} 7\nx_total 1.5\n"
        );
    }

    #[test]
    fn process_metrics_render() {
        let m = Metrics::default();
        m.set_chain(
            "l1",
            ChainView {
                head: Some(12),
                balance: Some(U256::from(5u64)),
                balance_low: true,
            },
        );
        m.add_cost("l2", 21_000, U256::from(42_000u64));
        m.add_cost("l2", 1_000, U256::from(2_000u64));
        m.round_error("deliver");
        m.alert("low_balance");
        m.set_halted("deliver", Some("deep reorg".into()));
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        for line in [
            "drawbridge_relayer_head_block{chain=\"l1\"} 12",
            "drawbridge_relayer_balance_wei{chain=\"l1\"} 5",
            "drawbridge_relayer_balance_low{chain=\"l1\"} 1",
            "drawbridge_relayer_gas_used_total{chain=\"l2\"} 22000",
            "drawbridge_relayer_fees_paid_wei_total{chain=\"l2\"} 44000",
            "drawbridge_relayer_gas_used_total{chain=\"l1\"} 0",
            "drawbridge_relayer_round_errors_total{role=\"deliver\"} 1",
            "drawbridge_relayer_alerts_total{kind=\"low_balance\"} 1",
            "drawbridge_relayer_halted{role=\"deliver\"} 1",
            "drawbridge_relayer_halted{role=\"finalize\"} 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        m.set_halted("deliver", None);
        assert!(m.halted().is_empty());
        assert!(
            text.lines()
                .any(|l| l == "drawbridge_relayer_halted{role=\"watchdog\"} 0")
        );
        assert!(
            text.lines()
                .any(|l| l == "drawbridge_relayer_watchdog_problems 0")
        );
    }

    #[test]
    fn conservation_gauges_are_per_token() {
        let m = Metrics::default();
        let token = alloy::primitives::Address::repeat_byte(0xab);
        m.set_backing(vec![Backing {
            l1_token: token,
            l2_token: None,
            l2_supply: U256::from(9u64),
            unpaid: U256::from(1u64),
            escrow: U256::from(6u64),
        }]);
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        let label = format!("{{token=\"{}\"}}", token.to_string().to_lowercase());
        for (name, value) in [
            ("drawbridge_relayer_unbacked_supply", 4),
            ("drawbridge_relayer_l2_supply", 9),
            ("drawbridge_relayer_unpaid_withdrawals", 1),
            ("drawbridge_relayer_l1_escrow", 6),
        ] {
            let line = format!("{name}{label} {value}");
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        // Frozen (not checked): no series, the families stay declared.
        m.set_backing(Vec::new());
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        assert!(text.contains("# TYPE drawbridge_relayer_unbacked_supply gauge"));
        assert!(!text.contains(&label));
    }

    #[test]
    fn watchdog_findings_are_counted_and_raised() {
        let m = Metrics::default();
        m.output_checked(false);
        m.output_checked(true);
        m.challenge_sent();
        m.roots_checked(3);
        m.set_watchdog_problems(BTreeMap::from([
            ("root:1".to_string(), "root 1 unknown on L1".to_string()),
            ("root:2".to_string(), "root 2 unknown on L1".to_string()),
        ]));
        m.set_watchdog_problems(BTreeMap::from([(
            "root:2".to_string(),
            "root 2 unknown on L1".to_string(),
        )]));
        assert_eq!(
            m.watchdog_problems(),
            vec!["root 2 unknown on L1".to_string()]
        );
        assert_eq!(m.watchdog_counts().challenges_sent, 1);
        assert!(m.watchdog_problem_keys().contains("root:2"));
        let mut out = Exposition::default();
        m.write(&mut out);
        let text = out.finish();
        for line in [
            "drawbridge_relayer_watchdog_outputs_checked_total 2",
            "drawbridge_relayer_watchdog_wrong_outputs_total 1",
            "drawbridge_relayer_watchdog_challenges_total 1",
            "drawbridge_relayer_watchdog_roots_checked_total 3",
            "drawbridge_relayer_watchdog_problems 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
