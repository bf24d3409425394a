//! How what the ops emit is shown: the restore screen and the bench table as lines or JSON
//! lines, the watch's terminal view, and the typed confirmation an erase needs.

pub mod bench_table;
pub mod confirm;
pub mod restore_screen;
pub mod watch_view;
