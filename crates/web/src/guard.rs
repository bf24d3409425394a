//! Who may use the dashboard: requests addressed to its own origin only; anyone on this
//! computer, and from elsewhere only with the token `serve` printed; never another site's page.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::{Dashboard, Site};

/// The cookie a browser keeps the token in after opening `/?token=…` once.
const COOKIE: &str = "restore_doctor_token";

/// A secret that lets other computers in: 128 random bits as hex.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A new random token.
    pub fn random() -> std::io::Result<Token> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Token(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares without stopping at the first difference.
    fn matches(&self, offered: &str) -> bool {
        offered.len() == self.0.len()
            && offered
                .bytes()
                .zip(self.0.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

/// The token a request offers: `Authorization: Bearer`, the cookie, or `?token=` in the address
/// of the page itself (only there: an address with a secret ends up in logs and histories).
fn offered(request: &Request) -> Vec<String> {
    let headers = request.headers();
    let mut offered = Vec::new();
    if let Some(bearer) = header_text(headers, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned))
    {
        offered.push(bearer);
    }
    for cookies in headers.get_all(header::COOKIE) {
        let Ok(cookies) = cookies.to_str() else {
            continue;
        };
        offered.extend(
            cookies
                .split(';')
                .filter_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
                .map(str::to_owned),
        );
    }
    offered.extend(query_token(request));
    offered
}

fn query_token(request: &Request) -> Option<String> {
    if request.uri().path() != "/" {
        return None;
    }
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::to_owned)
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

/// The name a request is addressed to, if it is this server's: its `Host` header and, in an
/// absolute address, the request line's authority, each where given and at least one.
fn our_host<'r>(request: &'r Request, site: &Site) -> Option<&'r str> {
    let header = match request.headers().get(header::HOST) {
        Some(value) => Some(value.to_str().ok()?),
        None => None,
    };
    let line = request.uri().authority().map(|a| a.as_str());
    let ours = header.is_none_or(|h| site.is_host(h)) && line.is_none_or(|l| site.is_host(l));
    header.or(line).filter(|_| ours)
}

/// Lets a request through, or answers 421 (addressed to another name or port), 403 (sent by
/// another site's page, or a change sent by no page) or 401 (no token from another computer).
pub async fn check(State(d): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    let Some(host) = our_host(&request, &d.site) else {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "this dashboard answers only at the address restore-doctor serve printed\n",
        )
            .into_response();
    };
    match request.headers().get(header::ORIGIN) {
        Some(origin) if !origin.to_str().is_ok_and(|o| d.site.is_origin(o)) => {
            return (
                StatusCode::FORBIDDEN,
                "requests from other sites are refused\n",
            )
                .into_response();
        }
        // A browser names the page behind every request that changes something; a request
        // that names none is not from the dashboard's page.
        None if !request.method().is_safe() => {
            return (
                StatusCode::FORBIDDEN,
                format!(
                    "a request that changes something must come from the dashboard's page \
                     (Origin: http://{host}); nothing was done\n"
                ),
            )
                .into_response();
        }
        _ => {}
    }
    let Some(token) = &d.token else {
        return next.run(request).await;
    };
    let offers = offered(&request);
    if !offers.iter().any(|o| token.matches(o)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "this dashboard needs the token `restore-doctor serve` printed: open /?token=…\n",
        )
            .into_response();
    }
    // Opened with the token in the address: keep it in a cookie and drop it from the address.
    if request.uri().path() == "/" && query_token(&request).is_some() {
        let cookie = format!(
            "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
            token.as_str()
        );
        let mut response = Redirect::to("/").into_response();
        if let Ok(value) = cookie.parse() {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        return response;
    }
    next.run(request).await
}

/// Headers on every answer: no content sniffing, no referrer, and nothing of the API (state,
/// cases, reports) kept in a cache.
pub async fn answer_headers(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if api || !response.status().is_success() {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
