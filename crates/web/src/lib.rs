//! The bench dashboard: one local page with every phone on the bench live (server-sent events),
//! a JSON API beside it, and supervised restores started from the page after a typed `erase`.
//!
//! The page and its assets are compiled into the binary; its Content-Security-Policy forbids
//! every request that does not go back to this server, and the server answers only requests
//! addressed to its own origin.

mod bench;
mod guard;
mod limits;
mod site;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use kb::Kb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

pub use bench::{Bench, Message, RestoreView};
pub use guard::Token;
pub use site::Site;

/// Cases listed on the page.
const RECENT_CASES: usize = 30;
/// Days of case history the per-port record covers.
const PORT_DAYS: i64 = 7;

/// Starts supervised restores for the page: the binary runs idevicerestore and feeds the
/// bench with what it says.
pub trait Restorer: Send + Sync + 'static {
    /// Starts restoring `job`; its news go to `bench` under `job.id`. Returns at once.
    fn start(&self, job: RestoreJob, bench: Arc<Bench>) -> Result<(), String>;
}

/// Tells a phone in recovery mode to start iOS for the page (the binary runs irecovery and
/// watches the phone come back); its news go to `bench` as the port's last event.
pub trait RecoveryExiter: Send + Sync + 'static {
    /// Starts telling `phone`, seen in recovery mode on `port`. Returns at once.
    fn start(&self, port: String, phone: usb::AppleDevice, bench: Arc<Bench>)
    -> Result<(), String>;
}

/// A restore the page asked for, checked: the phone is on its port, and an erase carries the
/// person's typed word.
#[derive(Debug)]
pub struct RestoreJob {
    pub id: u64,
    pub port: String,
    pub ecid: u64,
    /// An IPSW on this computer (checked to be one); `None` for the latest signed firmware.
    pub ipsw: Option<supervise::Ipsw>,
    pub erase: Option<supervise::ErasePermit>,
}

/// What the dashboard serves.
pub struct Dashboard {
    pub kb: &'static Kb,
    pub bench: Arc<Bench>,
    /// The case history to list (read only); `None` when there is none.
    pub db: Option<store::Location>,
    pub restorer: Option<Box<dyn Restorer>>,
    /// `None` when irecovery was not found: the page then offers no "Leave recovery mode".
    pub exiter: Option<Box<dyn RecoveryExiter>>,
    /// Where it is served: every request must name this origin.
    pub site: Site,
    /// Required on every request when the server is reachable from other computers.
    pub token: Option<Token>,
    pub show_ids: bool,
}

/// How long open connections get to finish when the server stops.
const CLOSING_TIME: Duration = Duration::from_secs(5);

/// The page, its assets and the API.
pub fn router(dashboard: Dashboard) -> Router {
    let dashboard = Arc::new(dashboard);
    Router::new()
        .route("/", get(page))
        .route("/app.js", get(script))
        .route("/app.css", get(style))
        .route("/api/state", get(state))
        .route("/api/devices", get(devices))
        .route("/api/events", get(events))
        .route("/api/cases", get(cases))
        .route("/api/cases/{id}/report", get(case_report))
        .route("/api/restores", post(start_restore))
        .route("/api/exit-recovery", post(exit_recovery))
        // Inside the guard: only a request it lets through is read.
        .layer(axum::middleware::from_fn(limits::bounded_body))
        .layer(axum::middleware::from_fn_with_state(
            dashboard.clone(),
            guard::check,
        ))
        // Outermost, so that refusals carry them too.
        .layer(axum::middleware::from_fn(guard::answer_headers))
        .with_state(dashboard)
}

/// Serves HTTP/1.1 until `shutdown` completes, closing connections whose request head does not
/// arrive within [`limits::HEADER_READ_TIMEOUT`]; then ends the event streams and gives open
/// connections a few seconds to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    dashboard: Dashboard,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bench = dashboard.bench.clone();
    let app = router(dashboard);
    let http = http();
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or a connection reset before it was accepted: the
                // server goes on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection =
            connections.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or is too slow is not the server's error.
            let _ = connection.await;
        });
    }
    drop(listener);
    // Open pages hold event streams; they end, so the connections can.
    bench.close();
    let _ = tokio::time::timeout(CLOSING_TIME, connections.shutdown()).await;
    Ok(())
}

/// How the server speaks on each connection: HTTP/1.1, a request head within
/// [`limits::HEADER_READ_TIMEOUT`], and answers still sent to a client that closed its sending
/// side once its requests were sent (`nc -N`, a script's socket).
fn http() -> hyper::server::conn::http1::Builder {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits::HEADER_READ_TIMEOUT)
        .half_close(true);
    http
}

/// Serves one connection (any byte stream) as [`serve`] serves each one, until the client is
/// done with it: what the `dashboard` fuzz target sends its bytes through.
pub async fn serve_connection<S>(stream: S, app: Router) -> hyper::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper_util::service::TowerToHyperService::new(app);
    http()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
        .await
}

type Shared = State<Arc<Dashboard>>;

/// The page's policy: scripts, styles, data and events from this server only.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// A case report is one self-contained file with its own inline style, and nothing else.
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str, policy: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    asset(
        include_str!("assets/index.html"),
        "text/html; charset=utf-8",
        PAGE_POLICY,
    )
}

async fn script() -> Response {
    asset(
        include_str!("assets/app.js"),
        "text/javascript; charset=utf-8",
        PAGE_POLICY,
    )
}

async fn style() -> Response {
    asset(
        include_str!("assets/app.css"),
        "text/css; charset=utf-8",
        PAGE_POLICY,
    )
}

async fn state(State(d): Shared) -> Response {
    let mut snapshot = d.bench.snapshot();
    snapshot["restores_enabled"] = Value::Bool(d.restorer.is_some());
    snapshot["exit_recovery_enabled"] = Value::Bool(d.exiter.is_some());
    snapshot["show_ids"] = Value::Bool(d.show_ids);
    axum::Json(snapshot).into_response()
}

async fn devices(State(d): Shared) -> Response {
    axum::Json(d.bench.devices()).into_response()
}

async fn events(State(d): Shared) -> impl IntoResponse {
    let closed = d.bench.closed();
    let stream = BroadcastStream::new(d.bench.subscribe()).map(|message| {
        Ok::<Event, Infallible>(match message {
            Ok(message) => Event::default()
                .id(message.seq.to_string())
                .event(message.event)
                .data(&message.data),
            // The page fell behind: it reloads the state instead of missing changes.
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("resync").data(missed.to_string())
            }
        })
    });
    Sse::new(futures_util::StreamExt::take_until(stream, closed)).keep_alive(KeepAlive::default())
}

/// A JSON error a page can show.
#[derive(Serialize)]
struct Problem {
    error: String,
}

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    let error = message.into();
    (status, axum::Json(Problem { error })).into_response()
}

/// The answer to an accepted request to tell a phone to leave recovery mode.
#[derive(Serialize)]
struct Told {
    ok: bool,
}

/// The answer to an accepted restore: its id, which its news carry.
#[derive(Serialize)]
struct Started {
    id: u64,
}

/// The recent cases (each as `report --json` gives it) and each port's record.
#[derive(Default, Serialize)]
struct CaseList {
    cases: Vec<Value>,
    ports: Vec<store::PortHistory>,
    /// The days the ports' record covers; absent when there is no case history.
    #[serde(skip_serializing_if = "Option::is_none")]
    port_days: Option<i64>,
}

impl IntoResponse for CaseList {
    fn into_response(self) -> Response {
        // Through a `Value`, so that the keys (the ports' too) come out in alphabetical order,
        // as everything the pages receive (see `Bench::send`).
        match serde_json::to_value(self) {
            Ok(value) => axum::Json(value).into_response(),
            Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

/// Runs a read of the case history off the async threads.
async fn with_store<T: Send + 'static>(
    d: &Arc<Dashboard>,
    read: impl FnOnce(&store::Store, &'static Kb) -> Result<T, String> + Send + 'static,
) -> Result<Option<T>, Response> {
    let Some(location) = d.db.clone() else {
        return Ok(None);
    };
    let kb = d.kb;
    let result = tokio::task::spawn_blocking(move || {
        if !location.exists() {
            return Ok(None);
        }
        let store = store::Store::open_read_only(&location).map_err(|e| e.to_string())?;
        read(&store, kb).map(Some)
    })
    .await
    .map_err(|e| problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    result.map_err(|e| problem(StatusCode::SERVICE_UNAVAILABLE, e))
}

async fn cases(State(d): Shared) -> Response {
    let show_ids = d.show_ids;
    let read = with_store(&d, move |store, kb| {
        let filter = store::Filter {
            limit: RECENT_CASES,
            ..store::Filter::default()
        };
        let cases = store.history(&filter).map_err(|e| e.to_string())?;
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * PORT_DAYS);
        let ports = store.ports(Some(since)).map_err(|e| e.to_string())?;
        Ok(CaseList {
            cases: cases
                .iter()
                .map(|c| report::json(kb, c, show_ids))
                .collect(),
            ports,
            port_days: Some(PORT_DAYS),
        })
    })
    .await;
    match read {
        Ok(Some(list)) => list.into_response(),
        Ok(None) => CaseList::default().into_response(),
        Err(response) => response,
    }
}

async fn case_report(State(d): Shared, Path(id): Path<String>) -> Response {
    if id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return problem(StatusCode::BAD_REQUEST, "not a case id");
    }
    let show_ids = d.show_ids;
    let read = with_store(&d, move |store, kb| {
        // An unknown or ambiguous id, or a case that cannot be read: "no such case".
        Ok(store.case(&id).ok().map(|c| report::html(kb, &c, show_ids)))
    })
    .await;
    match read {
        Ok(Some(Some(html))) => {
            let mut response = Html(html).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(REPORT_POLICY),
            );
            response
        }
        Ok(_) => problem(StatusCode::NOT_FOUND, "no such case"),
        Err(response) => response,
    }
}

/// What the page sends to tell a phone to leave recovery mode.
#[derive(Debug, Deserialize)]
struct ExitForm {
    port: String,
}

/// Tells the phone on a port to leave recovery mode: only a phone in recovery mode with an
/// ECID; DFU mode has no command to leave it, only the phone's buttons.
async fn exit_recovery(State(d): Shared, axum::Json(form): axum::Json<ExitForm>) -> Response {
    let Some(exiter) = &d.exiter else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "irecovery was not found when the server started, so phones cannot be told to leave recovery mode from here",
        );
    };
    let Some(phone) = d.bench.phone_on(&form.port) else {
        return problem(StatusCode::NOT_FOUND, "no phone on that port now");
    };
    match phone.mode {
        usb::Mode::Recovery if phone.ecid.is_some() => {}
        usb::Mode::Dfu => {
            return problem(
                StatusCode::CONFLICT,
                "a phone in DFU mode (a black screen) cannot be told to leave it: force-restart it with its buttons; nothing was sent",
            );
        }
        usb::Mode::Recovery => {
            return problem(
                StatusCode::CONFLICT,
                "the phone on that port shows no ECID, so it cannot be named to irecovery; nothing was sent",
            );
        }
        _ => {
            return problem(
                StatusCode::CONFLICT,
                "the phone on that port is not in recovery mode; nothing was sent",
            );
        }
    }
    match exiter.start(form.port, phone, d.bench.clone()) {
        Ok(()) => (StatusCode::ACCEPTED, axum::Json(Told { ok: true })).into_response(),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// What the page sends to start a restore.
#[derive(Debug, Deserialize)]
struct RestoreForm {
    port: String,
    #[serde(default)]
    ipsw: Option<String>,
    #[serde(default)]
    erase: bool,
    /// The word the person typed.
    #[serde(default)]
    typed: Option<String>,
    /// The second confirmation, after the typed word.
    #[serde(default)]
    confirmed: bool,
}

async fn start_restore(State(d): Shared, axum::Json(form): axum::Json<RestoreForm>) -> Response {
    let Some(restorer) = &d.restorer else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "restores cannot be started here: idevicerestore was not found when the server started",
        );
    };
    let erase = if form.erase {
        let permit = form
            .typed
            .as_deref()
            .and_then(supervise::ErasePermit::typed);
        match (permit, form.confirmed) {
            (Some(permit), true) => Some(permit),
            _ => {
                return problem(
                    StatusCode::FORBIDDEN,
                    "an erase needs the word `erase` typed and a second confirmation; nothing was started",
                );
            }
        }
    } else {
        None
    };
    // A path is only ever a file to restore, never a flag: it must be an IPSW on this computer.
    let ipsw = match form.ipsw.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(path) => match supervise::Ipsw::new(std::path::Path::new(path)) {
            Ok(ipsw) => Some(ipsw),
            Err(e) => return problem(StatusCode::BAD_REQUEST, format!("{e}; nothing was started")),
        },
        None => None,
    };
    let Some(phone) = d.bench.phone_on(&form.port) else {
        return problem(StatusCode::NOT_FOUND, "no phone on that port now");
    };
    let Some(ecid) = phone.ecid else {
        return problem(
            StatusCode::CONFLICT,
            "the phone on that port shows no ECID: put it in recovery or DFU mode first",
        );
    };
    let id = d.bench.restore_started(&form.port, erase.is_some());
    let job = RestoreJob {
        id,
        port: form.port,
        ecid,
        ipsw,
        erase,
    };
    match restorer.start(job, d.bench.clone()) {
        Ok(()) => (StatusCode::ACCEPTED, axum::Json(Started { id })).into_response(),
        Err(e) => {
            d.bench
                .restore_ended(id, kb::RestoreVerdict::not_run(e.clone()));
            problem(StatusCode::INTERNAL_SERVER_ERROR, e)
        }
    }
}
