//! Role leases held by this relayer: which roles it may act in right now, acquired each round,
//! renewed in the background every third of `lease_ttl`, released on a graceful stop.
//!
//! The database rows and the fencing live in [`crate::store`]; this module keeps the in-process
//! view. Losing a lease (another relayer took the role over after it expired) drops the role here
//! at once; the fenced writes in the store make sure nothing written after the takeover lands even
//! before this process notices.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{info, warn};

use crate::role::Role;
use crate::store::{Fence, Store};

#[derive(Debug, Default)]
struct Inner {
    held: BTreeMap<Role, Fence>,
    /// Roles this process held and lost: it takes them back only once they expire, never by
    /// reclaiming "its own" lease (that one now belongs to another process with the same id).
    lost: BTreeSet<Role>,
}

/// The leases this process holds; shared by the main loop, the heartbeat and the API.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    inner: Mutex<Inner>,
}

impl Leases {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fence of `role`, if held.
    pub fn get(&self, role: Role) -> Option<Fence> {
        self.lock().held.get(&role).cloned()
    }

    /// Every held lease.
    pub fn held(&self) -> Vec<Fence> {
        self.lock().held.values().cloned().collect()
    }

    /// Whether this process may reclaim a lease of its own id for `role` without waiting for it
    /// to expire (only until it lost the role once).
    pub fn may_reclaim_own(&self, role: Role) -> bool {
        !self.lock().lost.contains(&role)
    }

    pub fn insert(&self, fence: Fence) {
        self.lock().held.insert(fence.role, fence);
    }

    /// Forgets `role` after another relayer took it over.
    pub fn lose(&self, role: Role) {
        let mut inner = self.lock();
        if inner.held.remove(&role).is_some() {
            warn!(%role, "lease lost: another relayer took this role over; standing by");
        }
        inner.lost.insert(role);
    }

    fn remove_all(&self) -> Vec<Fence> {
        std::mem::take(&mut self.lock().held)
            .into_values()
            .collect()
    }
}

/// Renews every held lease every third of `ttl`, forever (the caller drops the future to stop).
pub(crate) async fn heartbeat(store: Store, leases: Arc<Leases>, ttl: Duration) {
    let period = ttl / 3;
    loop {
        tokio::time::sleep(period).await;
        for fence in leases.held() {
            match store.renew(&fence, ttl).await {
                Ok(true) => {}
                Ok(false) => leases.lose(fence.role),
                // The lease runs out by itself if the database stays away; writes are fenced.
                Err(error) => {
                    warn!(role = %fence.role, %error, "cannot renew the lease; will retry")
                }
            }
        }
    }
}

/// Gives every held lease back so that a standby relayer takes over at once.
pub(crate) async fn release_all(store: &Store, leases: &Leases) {
    for fence in leases.remove_all() {
        match store.release(&fence).await {
            Ok(()) => info!(role = %fence.role, "lease released"),
            Err(error) => {
                warn!(role = %fence.role, %error, "cannot release the lease; it expires by itself")
            }
        }
    }
}
