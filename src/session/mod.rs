//! The interactive side of the program: the guided diagnosis session and the DFU coach, both
//! talking to the person through a `Prompter`.

pub mod dfu_coach;
mod exit_offer;
pub mod guided;
pub mod intake;
pub mod prompter;
mod render;
pub mod retry_watch;
