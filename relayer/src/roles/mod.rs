//! The relayer's roles, each one round of work on a [`crate::context::Context`]: [`deliver`]
//! (L1 messages to L2), [`propose`] (outputs to L1), [`finalize`] (withdrawals on L1) and
//! [`watchdog`] (checks and challenges). A role uses the layers below it (follow, submit, store)
//! and never another role.

pub(crate) mod deliver;
pub(crate) mod finalize;
pub(crate) mod propose;
pub(crate) mod watchdog;
