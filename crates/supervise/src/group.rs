//! Runs an outside tool so that it ends when Restore Doctor ends: in a process group of its own,
//! stop requests (SIGINT, SIGTERM, SIGHUP) forwarded to the group, SIGKILL after a grace period.
//!
//! The one way to run a tool: make a [`Stopper`] once (`Stopper::on_signals()` in a command,
//! `Stopper::new()` where the program itself decides when to stop), then
//! [`Group::spawn`] and [`Group::run`]:
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use std::process::Command;
//! use std::time::Duration;
//! use supervise::{Group, Stopper};
//!
//! let stopper = Stopper::on_signals()?;
//! let mut irecovery = Command::new("irecovery");
//! irecovery.arg("-n");
//! let exit = Group::spawn(&mut irecovery, &stopper)?
//!     .run(Some(Duration::from_secs(30)), &mut |_stream, bytes| {
//!         print!("{}", String::from_utf8_lossy(bytes));
//!     })?;
//! println!("ended with {} (stopped by {:?})", exit.status, exit.stopped);
//! # Ok(())
//! # }
//! ```
//!
//! - The first stop request is forwarded to the whole group as the same signal (idevicerestore
//!   1.0.0 quits at its next check on SIGINT and SIGTERM; SIGHUP ends it at once).
//! - A second request, or [`GRACE`] after the first, kills the group (SIGKILL).
//! - A time limit ends the group the same way: SIGTERM, then SIGKILL after the grace period.
//! - Reading ends when the tool itself exits: what it wrote is read, and whatever it left
//!   running in its group (a child still holding its output open) is killed.
//! - While a group runs (or a [`Hold`] is kept), a signal is a request the program answers;
//!   at any other time it ends the program as it would without a handler.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a tool has to end by itself after a stop request (or its time limit) before its
/// group is killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// How often a running group checks for stop requests and for the tool's exit.
const TICK: Duration = Duration::from_millis(50);

/// How long output is still read after the tool exited and its group was killed: only a
/// process that left the group can hold the pipes open that long.
const LINGER: Duration = Duration::from_secs(2);

/// A signal that asks the program (and the tools it runs) to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP: the terminal went away.
    HangUp,
}

impl StopSignal {
    /// The signal's number (the same on every Unix).
    pub fn number(self) -> u8 {
        match self {
            StopSignal::HangUp => 1,
            StopSignal::Interrupt => 2,
            StopSignal::Terminate => 15,
        }
    }

    /// The exit status of a program ended by this signal: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }

    pub fn name(self) -> &'static str {
        match self {
            StopSignal::HangUp => "SIGHUP",
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }

    #[cfg(unix)]
    fn from_number(number: i32) -> Option<StopSignal> {
        [
            StopSignal::HangUp,
            StopSignal::Interrupt,
            StopSignal::Terminate,
        ]
        .into_iter()
        .find(|s| i32::from(s.number()) == number)
    }
}

/// Stop requests so far: how many, and the first one.
#[derive(Debug, Default, Clone, Copy)]
struct Requests {
    count: u32,
    first: Option<StopSignal>,
}

struct Shared {
    requests: Mutex<Requests>,
    changed: Condvar,
    holders: AtomicUsize,
    grace: Duration,
}

/// Where stop requests come from (signals, or the program deciding to stop), shared by every
/// group it runs. Cheap to clone.
#[derive(Clone)]
pub struct Stopper(Arc<Shared>);

impl Stopper {
    /// A stopper only [`Stopper::request`] stops, with the standard [`GRACE`].
    pub fn new() -> Stopper {
        Stopper::with_grace(GRACE)
    }

    /// The same with another grace period.
    pub fn with_grace(grace: Duration) -> Stopper {
        Stopper(Arc::new(Shared {
            requests: Mutex::new(Requests::default()),
            changed: Condvar::new(),
            holders: AtomicUsize::new(0),
            grace,
        }))
    }

    /// A stopper that SIGINT, SIGTERM and SIGHUP to this program stop. While a group runs or a
    /// [`Hold`] is kept, each signal is a request; otherwise it ends the program as the
    /// system's default would. Elsewhere than Unix only [`Stopper::request`] stops it.
    pub fn on_signals() -> io::Result<Stopper> {
        let stopper = Stopper::new();
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
            let listener = stopper.clone();
            std::thread::Builder::new()
                .name("stop signals".to_owned())
                .spawn(move || {
                    for number in signals.forever() {
                        if listener.0.holders.load(Ordering::SeqCst) == 0 {
                            // Nothing runs that must be ended first: behave as if unhandled.
                            let _ = signal_hook::low_level::emulate_default_handler(number);
                        }
                        if let Some(signal) = StopSignal::from_number(number) {
                            listener.request(signal);
                        }
                    }
                })?;
        }
        Ok(stopper)
    }

    fn requests(&self) -> MutexGuard<'_, Requests> {
        // Counters only: a panic elsewhere leaves nothing half-changed.
        self.0.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks everything this stopper runs to stop (a second request kills).
    pub fn request(&self, signal: StopSignal) {
        let mut requests = self.requests();
        requests.count = requests.count.saturating_add(1);
        requests.first.get_or_insert(signal);
        self.0.changed.notify_all();
    }

    /// The first stop request, once there was one.
    pub fn requested(&self) -> Option<StopSignal> {
        self.requests().first
    }

    /// Waits for the first stop request.
    pub fn wait(&self) -> StopSignal {
        let mut requests = self.requests();
        loop {
            if let Some(signal) = requests.first {
                return signal;
            }
            requests = self
                .0
                .changed
                .wait(requests)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Makes signals requests rather than the end of the program until the hold is dropped:
    /// for work that must finish (a case being saved) or a server that stops by itself.
    pub fn hold(&self) -> Hold {
        self.0.holders.fetch_add(1, Ordering::SeqCst);
        Hold(self.clone())
    }
}

impl Default for Stopper {
    fn default() -> Stopper {
        Stopper::new()
    }
}

/// Keeps signals as requests while it lives (see [`Stopper::hold`]).
pub struct Hold(Stopper);

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.0.holders.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Which of the tool's outputs some bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How a supervised tool ended.
#[derive(Debug, Clone, Copy)]
pub struct Exit {
    pub status: ExitStatus,
    /// The stop request forwarded to it, when there was one.
    pub stopped: Option<StopSignal>,
    /// It was still running when its time limit came.
    pub timed_out: bool,
    /// Its group had to be killed: a second request, or the grace period ran out.
    pub killed: bool,
}

/// A tool running in a process group of its own, with nothing on its input and its output
/// piped to the supervisor. Dropped without [`Group::run`], its group is killed.
pub struct Group {
    child: Child,
    output: Receiver<(Stream, Vec<u8>)>,
    stopper: Stopper,
    reaped: bool,
    _hold: Hold,
}

impl Group {
    /// Starts `command` in a process group of its own. Refused once a stop was requested.
    pub fn spawn(command: &mut Command, stopper: &Stopper) -> io::Result<Group> {
        // Held before the start, so that no signal can end the program with the tool running.
        let hold = stopper.hold();
        if let Some(signal) = stopper.requested() {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                format!("not started: stopped by {}", signal.name()),
            ));
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(command, 0);
        let mut child = command.spawn()?;
        let (tx, rx) = mpsc::channel();
        let pipes = [
            child
                .stdout
                .take()
                .map(|o| (Stream::Stdout, Box::new(o) as Box<dyn Read + Send>)),
            child
                .stderr
                .take()
                .map(|e| (Stream::Stderr, Box::new(e) as Box<dyn Read + Send>)),
        ];
        for (stream, mut pipe) in pipes.into_iter().flatten() {
            let tx = tx.clone();
            // Not joined: a pipe held open by a process that left the group must not hold the
            // supervisor; the thread ends when the pipe closes.
            std::thread::spawn(move || {
                let mut buffer = vec![0u8; 8192];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 || tx.send((stream, buffer[..n].to_vec())).is_err() {
                        break;
                    }
                }
            });
        }
        Ok(Group {
            child,
            output: rx,
            stopper: stopper.clone(),
            reaped: false,
            _hold: hold,
        })
    }

    /// The tool's process id (and its group's).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Hands the tool's output to `output` as it comes until the tool exits, ending it on a
    /// stop request or after `limit`; then ends what it left in its group.
    pub fn run(
        mut self,
        limit: Option<Duration>,
        output: &mut dyn FnMut(Stream, &[u8]),
    ) -> io::Result<Exit> {
        let started = Instant::now();
        let grace = self.stopper.0.grace;
        let mut seen = 0;
        let mut stopped = None;
        let mut ending_since: Option<Instant> = None;
        let mut timed_out = false;
        let mut killed = false;
        let mut open = true;
        loop {
            if open {
                match self.output.recv_timeout(TICK) {
                    Ok((stream, bytes)) => output(stream, &bytes),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => open = false,
                }
            } else {
                std::thread::sleep(TICK);
            }
            let requests = *self.stopper.requests();
            if requests.count > seen {
                // The first request is forwarded; any further one (or a request once the time
                // limit is ending the tool) kills.
                let mut escalate = requests.count - seen > 1 || ending_since.is_some();
                seen = requests.count;
                if ending_since.is_none() {
                    self.signal(requests.first);
                    ending_since = Some(Instant::now());
                }
                stopped = stopped.or(requests.first);
                escalate &= !killed;
                if escalate {
                    self.signal(None);
                    killed = true;
                }
            }
            if ending_since.is_none() && limit.is_some_and(|limit| started.elapsed() >= limit) {
                self.signal(Some(StopSignal::Terminate));
                timed_out = true;
                ending_since = Some(Instant::now());
            }
            if !killed && ending_since.is_some_and(|since| since.elapsed() >= grace) {
                self.signal(None);
                killed = true;
            }
            if self.exited()? {
                break;
            }
        }
        // The tool is gone; anything it left in its group goes too. Its output already in the
        // pipes stays readable.
        self.signal(None);
        let until = Instant::now() + LINGER;
        while open {
            let left = until.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok((stream, bytes)) => output(stream, &bytes),
                Err(_) => open = false,
            }
        }
        let status = self.child.wait()?;
        self.reaped = true;
        Ok(Exit {
            status,
            stopped,
            timed_out,
            killed,
        })
    }

    /// Sends `signal` (or SIGKILL for `None`) to the whole group.
    #[cfg(unix)]
    fn signal(&self, signal: Option<StopSignal>) {
        use rustix::process::{Pid, Signal, kill_process_group};
        let signal = match signal {
            None => Signal::KILL,
            Some(StopSignal::Interrupt) => Signal::INT,
            Some(StopSignal::Terminate) => Signal::TERM,
            Some(StopSignal::HangUp) => Signal::HUP,
        };
        // No process left in the group is not an error.
        let _ = kill_process_group(Pid::from_child(&self.child), signal);
    }

    /// Elsewhere than Unix there are no process groups: the tool itself is killed.
    #[cfg(not(unix))]
    fn signal(&mut self, _signal: Option<StopSignal>) {
        let _ = self.child.kill();
    }

    /// Whether the tool has exited, without reaping it: while it is not reaped its process
    /// group keeps its id, so signalling the group cannot reach anyone else.
    #[cfg(unix)]
    fn exited(&self) -> io::Result<bool> {
        use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
        let state = waitid(WaitId::Pid(Pid::from_child(&self.child)), options)?;
        Ok(state.is_some())
    }

    #[cfg(not(unix))]
    fn exited(&mut self) -> io::Result<bool> {
        Ok(self.child.try_wait()?.is_some())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            self.signal(None);
            let _ = self.child.wait();
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    fn alive(pid: u32) -> bool {
        let pid = rustix::process::Pid::from_raw(pid as i32).expect("a pid");
        rustix::process::test_kill_process(pid).is_ok()
            && !std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero()))
                .is_ok_and(|s| s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
    }

    /// Waits (up to 20 s) for `ready`.
    fn until(what: &str, ready: impl Fn() -> bool) {
        let started = Instant::now();
        while !ready() {
            assert!(started.elapsed() < Duration::from_secs(20), "{what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn collect(group: Group, limit: Option<Duration>) -> (Exit, String) {
        let mut text = String::new();
        let exit = group
            .run(limit, &mut |_, bytes| {
                text.push_str(&String::from_utf8_lossy(bytes))
            })
            .unwrap();
        (exit, text)
    }

    #[test]
    fn the_output_is_read_until_the_tool_exits_even_when_a_child_keeps_it_open() {
        let stopper = Stopper::new();
        let group = Group::spawn(
            &mut sh("echo first; (sleep 300; echo never) & echo $! ; echo last; exit 3"),
            &stopper,
        )
        .unwrap();
        let started = Instant::now();
        let (exit, text) = collect(group, None);
        assert!(started.elapsed() < Duration::from_secs(60));
        assert_eq!(exit.status.code(), Some(3));
        assert!(
            text.starts_with("first\n") && text.ends_with("last\n"),
            "{text}"
        );
        let child: u32 = text.lines().nth(1).unwrap().parse().unwrap();
        until("the child the tool left is killed", || !alive(child));
        assert!(!text.contains("never"));
    }

    #[test]
    fn a_stop_request_is_forwarded_to_the_group() {
        let stopper = Stopper::new();
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let script = format!(
            "sleep 300 & echo $! > '{p}.tmp'; echo $$ >> '{p}.tmp'; mv '{p}.tmp' '{p}'; wait",
            p = pids.display()
        );
        let group = Group::spawn(&mut sh(&script), &stopper).unwrap();
        let requester = {
            let (stopper, pids) = (stopper.clone(), pids.clone());
            std::thread::spawn(move || {
                until("the tool started its child", || pids.exists());
                stopper.request(StopSignal::Terminate);
            })
        };
        let (exit, _) = collect(group, None);
        requester.join().unwrap();
        assert_eq!(exit.stopped, Some(StopSignal::Terminate));
        assert!(!exit.killed, "sh and sleep end on SIGTERM");
        for pid in std::fs::read_to_string(&pids).unwrap().lines() {
            let pid: u32 = pid.parse().unwrap();
            until("every process of the group is gone", || !alive(pid));
        }
    }

    #[test]
    fn a_tool_that_ignores_the_request_is_killed_after_the_grace_period() {
        let stopper = Stopper::with_grace(Duration::from_millis(300));
        let group = Group::spawn(
            &mut sh("trap '' INT TERM; echo ready; while :; do sleep 1; done"),
            &stopper,
        )
        .unwrap();
        let mut asked = false;
        let exit = group
            .run(None, &mut |_, _| {
                if !asked {
                    stopper.request(StopSignal::Interrupt);
                    asked = true;
                }
            })
            .unwrap();
        assert!(exit.killed);
        assert_eq!(exit.status.code(), None, "ended by SIGKILL");
        assert_eq!(exit.stopped, Some(StopSignal::Interrupt));
    }

    #[test]
    fn a_second_request_kills_at_once() {
        let stopper = Stopper::with_grace(Duration::from_secs(3600));
        let group = Group::spawn(
            &mut sh("trap '' INT TERM; echo ready; while :; do sleep 1; done"),
            &stopper,
        )
        .unwrap();
        let mut asked = false;
        let exit = group
            .run(None, &mut |_, _| {
                if !asked {
                    stopper.request(StopSignal::Interrupt);
                    stopper.request(StopSignal::Interrupt);
                    asked = true;
                }
            })
            .unwrap();
        assert!(exit.killed);
    }

    #[test]
    fn a_time_limit_ends_the_tool() {
        let stopper = Stopper::new();
        let group = Group::spawn(&mut sh("sleep 300"), &stopper).unwrap();
        let (exit, _) = collect(group, Some(Duration::from_millis(200)));
        assert!(exit.timed_out && !exit.killed);
        assert_eq!(exit.stopped, None);
    }

    #[test]
    fn nothing_starts_once_a_stop_was_requested() {
        let stopper = Stopper::new();
        stopper.request(StopSignal::HangUp);
        let error = Group::spawn(&mut sh("exit 0"), &stopper).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::Interrupted);
        assert_eq!(stopper.wait(), StopSignal::HangUp);
    }

    #[test]
    fn stop_signals_say_their_exit_codes() {
        assert_eq!(StopSignal::Interrupt.exit_code(), 130);
        assert_eq!(StopSignal::Terminate.exit_code(), 143);
        assert_eq!(StopSignal::HangUp.exit_code(), 129);
        for signal in [
            StopSignal::Interrupt,
            StopSignal::Terminate,
            StopSignal::HangUp,
        ] {
            assert_eq!(
                StopSignal::from_number(i32::from(signal.number())),
                Some(signal)
            );
        }
    }
}
