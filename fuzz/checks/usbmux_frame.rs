//! The usbmuxd frame check, shared by the `usbmux_frame` fuzz target and the corpus replay
//! test: any bytes as a header and payload are refused or read, never a panic or a huge read.

pub fn check(data: &[u8]) {
    let Some((head, payload)) = data.split_first_chunk::<{ usbmux::frame::HEADER }>() else {
        return;
    };
    if let Ok(header) = usbmux::frame::Header::parse(head) {
        assert!(header.payload_len() <= usbmux::frame::MAX_FRAME);
    }
    if let Ok(message) = usbmux::frame::decode(payload) {
        let _ = usbmux::message::answer(&message);
    }
}
