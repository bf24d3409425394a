//! Test helper: asks the usbmuxd at `USBMUXD_SOCKET_ADDRESS` (or the default socket) what the
//! real-daemon test checks, one line each: `devices N`, `buid OK|ERR …`, `listen OK|ERR …`,
//! `connect N|ERR …` (a connect to a device that does not exist).

use std::time::Duration;

use usbmux::{Address, Client, ClientError};

fn client(address: &Address) -> Client {
    Client::connect(address, Duration::from_secs(5)).unwrap_or_else(|e| {
        println!("connect-error {e}");
        std::process::exit(1)
    })
}

fn main() {
    let address = Address::from_env().unwrap_or_else(|e| {
        println!("address-error {e}");
        std::process::exit(2)
    });
    match client(&address).list_devices() {
        Ok(devices) => println!("devices {}", devices.len()),
        Err(e) => println!("devices ERR {e}"),
    }
    match client(&address).read_buid() {
        Ok(buid) => println!("buid OK {}", buid.len()),
        Err(e) => println!("buid ERR {e}"),
    }
    match client(&address).listen() {
        Ok(()) => println!("listen OK"),
        Err(e) => println!("listen ERR {e}"),
    }
    match client(&address).connect_to(424_242, 62078) {
        Ok(_) => println!("connect OK"),
        Err(ClientError::Refused { outcome }) => println!("connect {}", outcome.number()),
        Err(e) => println!("connect ERR {e}"),
    }
}
