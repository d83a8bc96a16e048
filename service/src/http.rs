//! Serving HTTP so that no client can take the server, or the process, down: a cap on open
//! connections (so that idle sockets cannot use up the process's file descriptors and starve its
//! chain work), where a new connection at the cap evicts the longest-held one with no request in
//! flight (so that clients holding idle connections cannot lock others out); a deadline for a
//! request's headers (a connection that sends nothing, or stays idle between requests, is closed);
//! a maximum connection age; and a body limit. Every HTTP server of the workspace (relayer API and
//! metrics, council coordinator, the devnet's sequencer gate) serves through [`serve`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// What one client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Open connections at most. At the cap a new connection evicts the longest-held idle one;
    /// when every connection has a request in flight, new ones wait in the listen backlog.
    pub max_connections: usize,
    /// Time allowed for a request's headers, also while a kept-alive connection is idle.
    pub header_read_timeout: Duration,
    /// A connection is closed (after its request in flight, if any) once this old.
    pub max_connection_age: Duration,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    /// 256 connections, 10 s for headers, 5 minutes per connection, 1 MiB bodies.
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            max_connection_age: Duration::from_secs(300),
            max_body_bytes: 1 << 20,
        }
    }
}

/// One open connection: when it opened, its requests in flight, and how to close it.
struct Slot {
    opened: Instant,
    in_flight: Arc<AtomicUsize>,
    evict: Arc<Notify>,
}

/// The open connections.
#[derive(Default)]
struct Slots {
    open: Mutex<HashMap<u64, Slot>>,
    freed: Notify,
}

impl Slots {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Slot>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes room for one more connection: true when there is room, evicting the longest-held
    /// idle connection at the cap; false when every connection has a request in flight.
    fn make_room(&self, cap: usize) -> bool {
        let mut open = self.lock();
        if open.len() < cap {
            return true;
        }
        let victim = open
            .iter()
            .filter(|(_, s)| s.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, s)| s.opened)
            .map(|(id, _)| *id);
        match victim.and_then(|id| open.remove(&id)) {
            Some(slot) => {
                slot.evict.notify_one();
                true
            }
            None => false,
        }
    }

    fn release(&self, id: u64) {
        self.lock().remove(&id);
        self.freed.notify_one();
    }
}

/// Counts a request in flight on its connection while it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves; then stops accepting,
/// lets requests in flight finish (at most 10 s) and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let app = router.layer(axum::extract::DefaultBodyLimit::max(limits.max_body_bytes));
    let slots = Arc::new(Slots::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(error) => {
                    // Out of descriptors or a reset before accept: back off, keep serving.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Room for it: an idle connection makes way, else it waits for a request to finish
        // (and nothing more is accepted meanwhile).
        while !slots.make_room(limits.max_connections) {
            tokio::select! {
                () = &mut shutdown => return finish(slots, stop_tx, listener).await,
                () = slots.freed.notified() => {}
            }
        }
        next_id += 1;
        let id = next_id;
        let in_flight = Arc::new(AtomicUsize::new(0));
        let evict = Arc::new(Notify::new());
        slots.lock().insert(
            id,
            Slot {
                opened: Instant::now(),
                in_flight: in_flight.clone(),
                evict: evict.clone(),
            },
        );
        let app = app.clone();
        let service = hyper::service::service_fn(move |request| {
            let guard = InFlight::new(&in_flight);
            let response = app.clone().oneshot(request);
            async move {
                let response = response.await;
                drop(guard);
                response
            }
        });
        let mut stop = stop_rx.clone();
        let slots = slots.clone();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            let age = tokio::time::sleep(limits.max_connection_age);
            tokio::pin!(age);
            let mut closing = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%peer, %error, "connection ended");
                        }
                        break;
                    }
                    // Evicted for a newer connection while idle: dropping it closes the socket.
                    () = evict.notified() => break,
                    () = &mut age, if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    _ = stop.wait_for(|s| *s), if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            slots.release(id);
        });
    }
    finish(slots, stop_tx, listener).await;
}

/// Stops accepting and waits (at most 10 s) for the open connections to finish.
async fn finish(slots: Arc<Slots>, stop: watch::Sender<bool>, listener: tokio::net::TcpListener) {
    let _ = stop.send(true);
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while !slots.lock().is_empty() {
            slots.freed.notified().await;
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn start(limits: HttpLimits) -> (std::net::SocketAddr, watch::Sender<bool>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route(
                "/echo",
                axum::routing::post(|body: String| async move { body }),
            );
        let (tx, mut rx) = watch::channel(false);
        tokio::spawn(serve(listener, router, limits, async move {
            let _ = rx.wait_for(|s| *s).await;
        }));
        (address, tx)
    }

    async fn get(address: std::net::SocketAddr) -> String {
        let mut s = tokio::net::TcpStream::connect(address).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    /// Reads until the server closes the connection; the time it took.
    async fn closed_after(mut s: tokio::net::TcpStream) -> Duration {
        let started = std::time::Instant::now();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        started.elapsed()
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_at_the_header_deadline_and_an_idle_kept_alive_one_too() {
        let limits = HttpLimits {
            header_read_timeout: Duration::from_millis(300),
            ..HttpLimits::default()
        };
        let (address, _stop) = start(limits).await;
        let silent = tokio::net::TcpStream::connect(address).await.unwrap();
        let waited = tokio::time::timeout(Duration::from_secs(5), closed_after(silent))
            .await
            .expect("the server closes a connection that sends nothing");
        assert!(waited >= Duration::from_millis(250), "{waited:?}");

        let mut kept = tokio::net::TcpStream::connect(address).await.unwrap();
        kept.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), closed_after(kept))
            .await
            .expect("an idle kept-alive connection is closed too");
    }

    #[tokio::test]
    async fn at_the_cap_a_new_connection_evicts_the_oldest_idle_one() {
        let limits = HttpLimits {
            max_connections: 4,
            header_read_timeout: Duration::from_secs(60),
            ..HttpLimits::default()
        };
        let (address, _stop) = start(limits).await;
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(tokio::net::TcpStream::connect(address).await.unwrap());
            // Accepted in order, so that the first is the oldest.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // A fifth is served at once, long before any header deadline ...
        let answer = tokio::time::timeout(Duration::from_secs(5), get(address))
            .await
            .expect("served at the cap");
        assert!(answer.ends_with("ok"), "{answer}");
        // ... and the connection held longest was closed for it.
        let oldest = held.remove(0);
        tokio::time::timeout(Duration::from_secs(5), closed_after(oldest))
            .await
            .expect("the oldest idle connection is evicted");
    }

    #[tokio::test]
    async fn requests_in_flight_are_never_evicted_and_newcomers_wait_for_them() {
        let limits = HttpLimits {
            max_connections: 2,
            ..HttpLimits::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(800)).await;
                    "slow"
                }),
            );
        tokio::spawn(serve(listener, router, limits, std::future::pending()));
        let slow = || async move {
            let mut s = tokio::net::TcpStream::connect(address).await.unwrap();
            s.write_all(b"GET /slow HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                .await
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        let slow_ones = [tokio::spawn(slow()), tokio::spawn(slow())];
        tokio::time::sleep(Duration::from_millis(200)).await;
        let third = tokio::spawn(get(address));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !third.is_finished(),
            "served while both slots had a request in flight"
        );
        for slow in slow_ones {
            assert!(
                slow.await.unwrap().ends_with("slow"),
                "a busy connection was cut"
            );
        }
        let answer = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("served once a slot is free")
            .unwrap();
        assert!(answer.ends_with("ok"), "{answer}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused() {
        let limits = HttpLimits {
            max_body_bytes: 16,
            ..HttpLimits::default()
        };
        let (address, _stop) = start(limits).await;
        let mut s = tokio::net::TcpStream::connect(address).await.unwrap();
        let body = "x".repeat(17);
        let request = format!(
            "POST /echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(request.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    }

    #[tokio::test]
    async fn shutdown_stops_accepting() {
        let (address, stop) = start(HttpLimits::default()).await;
        assert!(get(address).await.ends_with("ok"));
        stop.send(true).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
    }
}
