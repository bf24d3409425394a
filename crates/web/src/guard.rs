//! Who may use the dashboard: anyone on this computer, and from elsewhere only with the token
//! `serve` printed; a request from another site's page is refused either way.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::Dashboard;

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

/// The token a request offers: `Authorization: Bearer`, the cookie, or `?token=` in the URL.
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

/// True when a browser says the request comes from a page of another site.
fn from_another_site(request: &Request) -> bool {
    let headers = request.headers();
    let Some(origin) = header_text(headers, header::ORIGIN) else {
        return false;
    };
    let host = header_text(headers, header::HOST).unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    origin_host != host
}

/// Lets a request through, or answers 401 / 403.
pub async fn check(State(d): State<Arc<Dashboard>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && from_another_site(&request) {
        return (
            StatusCode::FORBIDDEN,
            "requests from other sites are refused\n",
        )
            .into_response();
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
