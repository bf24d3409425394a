//! The interactive side of the program: the guided diagnosis session and the DFU coach, both
//! talking to the person through a `Prompter`.

pub mod dfu_coach;
pub mod guided;
pub mod prompter;
pub mod retry_watch;
