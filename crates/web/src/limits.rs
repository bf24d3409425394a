//! What one client may take of the server: a few seconds to send its request's head and its
//! body, and a body the size of the restore form; a slow or endless client is cut off.

use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

/// How long a client may take to send a request's head (and an idle connection may stay open):
/// a slow or trickling client is disconnected.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body once its head has arrived.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest body taken: the restore form is a few hundred bytes.
const MAX_BODY: usize = 16 * 1024;

/// Reads a request's whole body, at most [`MAX_BODY`] bytes within [`BODY_READ_TIMEOUT`],
/// before anything looks at it; answers 413 or 408 (and closes the connection) otherwise.
pub(crate) async fn bounded_body(request: Request, next: Next) -> Response {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a request's body is at most {} KiB; nothing was done\n",
                MAX_BODY / 1024
            ),
        )
    };
    let (parts, body) = request.into_parts();
    // A body announced larger is refused before a byte of it is read.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return close_with(too_large());
    }
    let collected =
        tokio::time::timeout(BODY_READ_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await;
    let refusal = match collected {
        Ok(Ok(body)) => {
            let request = Request::from_parts(parts, Body::from(body.to_bytes()));
            return next.run(request).await;
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => too_large(),
        Ok(Err(_)) => (
            StatusCode::BAD_REQUEST,
            "the request's body could not be read; nothing was done\n".to_owned(),
        ),
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request's body did not arrive within {} s; nothing was done\n",
                BODY_READ_TIMEOUT.as_secs()
            ),
        ),
    };
    close_with(refusal)
}

/// A refusal that ends the connection: what is left of the body is not read.
fn close_with((status, text): (StatusCode, String)) -> Response {
    (status, [(header::CONNECTION, "close")], text).into_response()
}
