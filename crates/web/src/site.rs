//! The dashboard's own origin: the address it is bound to. A request must name it in `Host`
//! (and in `Origin`, when a browser sends one), so another site's page cannot reach it through a
//! name of its own that resolves here (DNS rebinding), nor through another scheme or port.

use std::net::{IpAddr, SocketAddr};

use axum::http::Uri;
use axum::http::uri::Authority;

/// Where the dashboard is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    bound: SocketAddr,
}

impl Site {
    /// The site of a server listening on `bound` (its real port, not `:0`).
    pub fn new(bound: SocketAddr) -> Site {
        Site { bound }
    }

    /// Whether `host` (a `Host` header: `name[:port]`) names this server: the bound address,
    /// or `localhost` when bound to loopback, with the bound port. Bound to every interface
    /// (`0.0.0.0`, `::`), any of this computer's addresses is written as an IP address (and
    /// `localhost` on this computer); a name that is not `localhost` can be rebound, so it is
    /// refused.
    pub fn is_host(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        // No user info in a Host header.
        !host.contains('@') && self.names(&authority, 80)
    }

    /// Whether `origin` (an `Origin` header) is this server's own: `http`, one of its names
    /// (as [`Site::is_host`]) and its port.
    pub fn is_origin(&self, origin: &str) -> bool {
        let Ok(uri) = origin.parse::<Uri>() else {
            return false;
        };
        let bare = uri.path_and_query().is_none_or(|p| p.as_str() == "/");
        uri.scheme_str() == Some("http")
            && bare
            && uri
                .authority()
                .is_some_and(|a| !a.as_str().contains('@') && self.names(a, 80))
    }

    /// Whether `authority` (with `default_port` when it gives none) names this server.
    fn names(&self, authority: &Authority, default_port: u16) -> bool {
        if authority.port_u16().unwrap_or(default_port) != self.bound.port() {
            return false;
        }
        let host = authority.host();
        let ip = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<IpAddr>();
        let bound = self.bound.ip();
        match ip {
            // Bound to every interface, the server is reached on one of its own addresses.
            Ok(_) if bound.is_unspecified() => true,
            Ok(ip) => ip == bound,
            Err(_) => {
                host.eq_ignore_ascii_case("localhost")
                    && (bound.is_loopback() || bound.is_unspecified())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(bound: &str) -> Site {
        Site::new(bound.parse().unwrap())
    }

    #[test]
    fn the_host_is_the_bound_address_or_localhost_with_the_port() {
        let local = site("127.0.0.1:7878");
        for ok in ["127.0.0.1:7878", "localhost:7878", "LOCALHOST:7878"] {
            assert!(local.is_host(ok), "{ok}");
        }
        for refused in [
            "evil.example:7878",
            "evil.example",
            "127.0.0.1",
            "127.0.0.1:7879",
            "127.0.0.2:7878",
            "localhost",
            "localhost.:7878",
            "127.0.0.1.nip.io:7878",
            "user@127.0.0.1:7878",
            "",
            "[::1]:7878",
        ] {
            assert!(!local.is_host(refused), "{refused}");
        }
        let v6 = site("[::1]:8080");
        assert!(v6.is_host("[::1]:8080") && v6.is_host("localhost:8080"));
        assert!(!v6.is_host("127.0.0.1:8080"));
        let lan = site("192.168.1.20:7878");
        assert!(lan.is_host("192.168.1.20:7878"));
        assert!(!lan.is_host("localhost:7878") && !lan.is_host("bench.local:7878"));
        let every = site("0.0.0.0:7878");
        assert!(every.is_host("192.168.1.20:7878") && every.is_host("localhost:7878"));
        assert!(!every.is_host("evil.example:7878") && !every.is_host("192.168.1.20:80"));
        let http = site("127.0.0.1:80");
        assert!(http.is_host("127.0.0.1") && http.is_host("localhost"));
    }

    #[test]
    fn the_origin_is_compared_with_scheme_host_and_port() {
        let local = site("127.0.0.1:7878");
        for ok in ["http://127.0.0.1:7878", "http://localhost:7878"] {
            assert!(local.is_origin(ok), "{ok}");
        }
        for refused in [
            "https://127.0.0.1:7878",
            "http://127.0.0.1:7879",
            "http://127.0.0.1",
            "http://evil.example:7878",
            "http://user@127.0.0.1:7878",
            "null",
            "ws://127.0.0.1:7878",
            "http://127.0.0.1:7878/path",
            "",
        ] {
            assert!(!local.is_origin(refused), "{refused}");
        }
    }
}
