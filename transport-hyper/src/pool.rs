//! [`Pool`]: idle keep-alive connections, kept per endpoint for the next request to the same one.
//!
//! The pool only files and hands out connection handles; making connections and sending requests
//! is [`HyperTransport`](crate::HyperTransport)'s business. It is generic over the handle so its
//! rules are tested without sockets.
//!
//! The rules: a connection is handed out most recently used first (so a lull lets the surplus age
//! out instead of keeping every connection barely warm); one that was idle longer than the idle
//! timeout, or that its peer closed, is dropped instead of handed out; at most `max_idle_per_host`
//! connections are kept per endpoint, and one over that bound is dropped when it comes back. Expired
//! connections are dropped when the pool is next used; a server closes its end of an idle
//! connection on its own keep-alive timeout anyway, which frees the socket.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};

/// A connection handle the pool can keep.
pub(crate) trait Connection {
    /// Whether the peer or the connection's task has closed it: it can carry no more requests.
    fn is_closed(&self) -> bool;
}

impl<B> Connection for hyper::client::conn::http1::SendRequest<B> {
    fn is_closed(&self) -> bool {
        hyper::client::conn::http1::SendRequest::is_closed(self)
    }
}

/// An endpoint: scheme and `host:port`. Requests to the same endpoint may share connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// Whether the connection runs TLS.
    pub https: bool,
    /// `host[:port]` as the request URI gives it (compared case-insensitively).
    pub authority: Authority,
}

impl Endpoint {
    /// The endpoint of an `http` or `https` URI with a host; `None` for anything else.
    pub fn of(uri: &http::Uri) -> Option<Endpoint> {
        let https = match uri.scheme() {
            Some(s) if *s == Scheme::HTTPS => true,
            Some(s) if *s == Scheme::HTTP => false,
            _ => return None,
        };
        let authority = uri.authority()?.clone();
        if authority.host().is_empty() {
            return None;
        }
        Some(Endpoint { https, authority })
    }
}

/// Idle connections, per endpoint. Shared by every request of a transport.
#[derive(Debug)]
pub(crate) struct Pool<C> {
    endpoints: Mutex<Vec<Idle<C>>>,
    max_idle_per_host: usize,
    idle_timeout: Duration,
}

/// The idle connections of one endpoint, least recently used first.
#[derive(Debug)]
struct Idle<C> {
    endpoint: Endpoint,
    connections: Vec<(C, Instant)>,
}

impl<C: Connection> Pool<C> {
    /// An empty pool with these bounds.
    pub fn new(max_idle_per_host: usize, idle_timeout: Duration) -> Self {
        Pool {
            endpoints: Mutex::new(Vec::new()),
            max_idle_per_host,
            idle_timeout,
        }
    }

    /// The most recently returned usable connection to `endpoint`, if any. Connections found
    /// closed or idle for longer than the idle timeout at `now` are dropped on the way.
    pub fn checkout(&self, endpoint: &Endpoint, now: Instant) -> Option<C> {
        let mut endpoints = self.lock();
        let idle = endpoints.iter_mut().find(|idle| idle.endpoint == *endpoint)?;
        let timeout = self.idle_timeout;
        // The list is in return order, so the expired ones are a prefix.
        let expired = idle
            .connections
            .iter()
            .take_while(|(_, since)| now.saturating_duration_since(*since) > timeout)
            .count();
        idle.connections.drain(..expired);
        while let Some((connection, _)) = idle.connections.pop() {
            if !connection.is_closed() {
                return Some(connection);
            }
        }
        None
    }

    /// Returns a connection whose last exchange is complete, to be handed out again. It is
    /// dropped instead when it is closed or its endpoint already has `max_idle_per_host` idle.
    pub fn checkin(&self, endpoint: &Endpoint, connection: C, now: Instant) {
        if connection.is_closed() || self.max_idle_per_host == 0 {
            return;
        }
        let mut endpoints = self.lock();
        let idle = match endpoints.iter().position(|idle| idle.endpoint == *endpoint) {
            Some(i) => &mut endpoints[i],
            None => {
                endpoints.push(Idle {
                    endpoint: endpoint.clone(),
                    connections: Vec::new(),
                });
                endpoints.last_mut().expect("just pushed")
            }
        };
        if idle.connections.len() < self.max_idle_per_host {
            idle.connections.push((connection, now));
        }
    }

    /// Takes out every endpoint's idle connections but its `keep` most recently returned ones, for
    /// the caller to close.
    pub fn shrink(&self, keep: usize) -> Vec<C> {
        let mut surplus = Vec::new();
        for idle in self.lock().iter_mut() {
            let over = idle.connections.len().saturating_sub(keep);
            // The list is in return order: the least recently used are the prefix.
            surplus.extend(idle.connections.drain(..over).map(|(connection, _)| connection));
        }
        surplus
    }

    /// How many idle connections the pool holds for `endpoint` (closed or expired ones included
    /// until the next checkout drops them).
    #[cfg(test)]
    pub fn idle(&self, endpoint: &Endpoint) -> usize {
        self.lock()
            .iter()
            .find(|idle| idle.endpoint == *endpoint)
            .map_or(0, |idle| idle.connections.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Idle<C>>> {
        // The pool's state is valid after any panic (a list of handles), so a poisoned lock is used.
        self.endpoints.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A fake connection: a name, and a flag the test flips to close it.
    #[derive(Debug, Clone)]
    struct Fake(&'static str, Arc<AtomicBool>);

    impl Fake {
        fn new(name: &'static str) -> Self {
            Fake(name, Arc::new(AtomicBool::new(false)))
        }
        fn close(&self) {
            self.1.store(true, Ordering::SeqCst);
        }
    }

    impl Connection for Fake {
        fn is_closed(&self) -> bool {
            self.1.load(Ordering::SeqCst)
        }
    }

    fn endpoint(uri: &str) -> Endpoint {
        Endpoint::of(&uri.parse().unwrap()).unwrap()
    }

    fn name(c: Option<Fake>) -> Option<&'static str> {
        c.map(|c| c.0)
    }

    #[test]
    fn endpoints_are_scheme_and_authority() {
        let a = endpoint("http://Bucket.example.com:8080/key?x=1");
        assert_eq!(
            a,
            endpoint("http://bucket.example.com:8080/other"),
            "host case and path do not count"
        );
        assert_ne!(
            a,
            endpoint("https://bucket.example.com:8080/key"),
            "the scheme counts"
        );
        assert_ne!(a, endpoint("http://bucket.example.com/key"), "the port counts");
        assert!(endpoint("https://h/").https);
        for bad in ["/just/a/path", "ftp://h/x", "unix://h/x"] {
            assert_eq!(Endpoint::of(&bad.parse().unwrap()), None, "{bad}");
        }
    }

    #[test]
    fn the_most_recently_returned_connection_comes_out_first_and_endpoints_are_apart() {
        let pool = Pool::new(8, Duration::from_secs(60));
        let (a, b) = (endpoint("http://a/"), endpoint("http://b/"));
        let t = Instant::now();
        assert_eq!(name(pool.checkout(&a, t)), None, "an empty pool has nothing");
        pool.checkin(&a, Fake::new("a1"), t);
        pool.checkin(&a, Fake::new("a2"), t);
        pool.checkin(&b, Fake::new("b1"), t);
        assert_eq!(name(pool.checkout(&a, t)), Some("a2"));
        assert_eq!(name(pool.checkout(&a, t)), Some("a1"));
        assert_eq!(name(pool.checkout(&a, t)), None);
        assert_eq!(name(pool.checkout(&b, t)), Some("b1"));
    }

    #[test]
    fn closed_and_expired_connections_are_dropped_not_handed_out() {
        let pool = Pool::new(8, Duration::from_secs(60));
        let a = endpoint("http://a/");
        let t = Instant::now();
        pool.checkin(&a, Fake::new("old"), t);
        pool.checkin(&a, Fake::new("fresh"), t + Duration::from_secs(30));
        let closed = Fake::new("closed");
        pool.checkin(&a, closed.clone(), t + Duration::from_secs(31));
        closed.close();
        // At t+61 s "old" has been idle 61 s (expired); "fresh" 31 s.
        assert_eq!(
            name(pool.checkout(&a, t + Duration::from_secs(61))),
            Some("fresh")
        );
        assert_eq!(pool.idle(&a), 0, "the expired and the closed one are gone");

        let gone = Fake::new("gone");
        gone.close();
        pool.checkin(&a, gone, t);
        assert_eq!(pool.idle(&a), 0, "a closed connection is not taken back");
    }

    #[test]
    fn shrink_takes_out_all_but_the_most_recently_returned_per_endpoint() {
        let pool = Pool::new(8, Duration::from_secs(60));
        let (a, b) = (endpoint("http://a/"), endpoint("http://b/"));
        let t = Instant::now();
        for n in ["a1", "a2", "a3"] {
            pool.checkin(&a, Fake::new(n), t);
        }
        pool.checkin(&b, Fake::new("b1"), t);
        let mut surplus: Vec<_> = pool.shrink(1).into_iter().map(|c| c.0).collect();
        surplus.sort_unstable();
        assert_eq!(surplus, ["a1", "a2"]);
        assert_eq!(name(pool.checkout(&a, t)), Some("a3"));
        assert_eq!(name(pool.checkout(&a, t)), None);
        assert_eq!(name(pool.checkout(&b, t)), Some("b1"), "b had no surplus");
        pool.checkin(&a, Fake::new("a4"), t);
        assert_eq!(pool.shrink(0).len(), 1, "keep 0 takes everything");
        assert_eq!(pool.idle(&a), 0);
    }

    #[test]
    fn at_most_max_idle_per_host_are_kept() {
        let pool = Pool::new(2, Duration::from_secs(60));
        let a = endpoint("http://a/");
        let t = Instant::now();
        for n in ["1", "2", "3"] {
            pool.checkin(&a, Fake::new(n), t);
        }
        assert_eq!(pool.idle(&a), 2);
        assert_eq!(
            name(pool.checkout(&a, t)),
            Some("2"),
            "the one over the bound was dropped"
        );

        let none = Pool::new(0, Duration::from_secs(60));
        none.checkin(&a, Fake::new("x"), t);
        assert_eq!(
            name(none.checkout(&a, t)),
            None,
            "max_idle_per_host 0 keeps nothing"
        );
    }
}
