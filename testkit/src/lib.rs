//! The one test harness of the workspace: every crate's integration tests and the end-to-end
//! tests build on it. It owns how tests start chains and devnets ([`TestBed`], [`Chains`]), run the
//! workspace's binaries as processes ([`binaries`]), sign and read with providers, move anvil's
//! clock, wait for a condition with a deadline ([`wait_for`], [`wait_until`]) and get a throwaway
//! PostgreSQL database. It must not hold protocol logic (that lives in `drawbridge-protocol` and the
//! contracts) or be used outside tests.

pub mod bed;
pub mod binaries;
pub mod chain;
mod flows;
pub mod forge;
mod manual;
pub mod reads;
pub mod relayer;
pub mod units;

pub use bed::{Chains, TestBed};
pub use binaries::{
    CoordinatorProcess, CouncilCli, RelayerProcess, Run, bin_dir, binary, free_listen_address,
    http_get, key_hex, read_log, relayer_command,
};
pub use chain::{
    DEADLINE, Mined, create, create_proxy, header_at, increase_time, latest_timestamp, mine,
    provider, revert_name, set_next_block_timestamp, spawn_anvil, tx_fee, wait_for, wait_until,
    wait_until_time,
};
pub use forge::ForgedDeposit;
pub use manual::{l2_message, message_from_event};
pub use relayer::{Running, start_relayer};
pub use units::{ether, milli_units, units};
