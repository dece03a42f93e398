//! Errors as values: a libpcap status code (`PCAP_ERROR_*` / `PCAP_WARNING_*`)
//! and the text a user reads through `errbuf` or `pcap_geterr`.
//!
//! The text is API: where libpcap has a message for a condition, ringcap uses
//! libpcap's wording, so scripts and people that match on it keep working.

use std::fmt;

/// libpcap's status codes (`<pcap/pcap.h>`), as the core uses them.
pub mod code {
    pub const ERROR: i32 = -1;
    pub const BREAK: i32 = -2;
    pub const NOT_ACTIVATED: i32 = -3;
    pub const ACTIVATED: i32 = -4;
    pub const NO_SUCH_DEVICE: i32 = -5;
    pub const RFMON_NOTSUP: i32 = -6;
    pub const NOT_RFMON: i32 = -7;
    pub const PERM_DENIED: i32 = -8;
    pub const IFACE_NOT_UP: i32 = -9;
    pub const CANTSET_TSTAMP_TYPE: i32 = -10;
    pub const PROMISC_PERM_DENIED: i32 = -11;
    pub const TSTAMP_PRECISION_NOTSUP: i32 = -12;

    pub const WARNING: i32 = 1;
    pub const WARNING_PROMISC_NOTSUP: i32 = 2;
    pub const WARNING_TSTAMP_TYPE_NOTSUP: i32 = 3;
}

/// The size of libpcap's error buffer; a message is cut to `ERRBUF_SIZE - 1` bytes.
pub const ERRBUF_SIZE: usize = 256;

/// An error (or, with a positive code, a warning) from the core.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// A `PCAP_ERROR_*` code (negative) or `PCAP_WARNING_*` code (positive).
    pub code: i32,
    /// The message, in libpcap's words where libpcap has them. May be empty, in
    /// which case the ABI shows [`status_to_str`] of the code, as libpcap does.
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: i32, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    /// A generic `PCAP_ERROR` with a message.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::new(code::ERROR, message)
    }

    /// `"<what>: <strerror(errno)>"`, libpcap's `pcap_fmt_errmsg_for_errno`.
    pub fn os(what: impl fmt::Display, err: &std::io::Error) -> Error {
        Error::msg(with_errno(what, err))
    }

    /// The same text with a specific status code.
    pub fn os_code(code: i32, what: impl fmt::Display, err: &std::io::Error) -> Error {
        Error::new(code, with_errno(what, err))
    }

    /// The status code's libpcap description when no message was given.
    pub fn text(&self) -> &str {
        if self.message.is_empty() {
            status_to_str(self.code)
        } else {
            &self.message
        }
    }

    pub fn is_warning(&self) -> bool {
        self.code > 0
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {})", self.code, self.text())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl std::error::Error for Error {}

/// `"<what>: <strerror>"` for an OS error, with glibc's `strerror` wording.
pub fn with_errno(what: impl fmt::Display, err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(errno) => format!("{what}: {}", crate::sys::strerror(errno)),
        None => format!("{what}: {err}"),
    }
}

/// libpcap's `pcap_statustostr` texts, for the codes it knows; `None` otherwise.
pub fn known_status_str(status: i32) -> Option<&'static str> {
    Some(match status {
        code::WARNING => "Generic warning",
        code::WARNING_TSTAMP_TYPE_NOTSUP => "That type of time stamp is not supported by that device",
        code::WARNING_PROMISC_NOTSUP => "That device doesn't support promiscuous mode",
        code::ERROR => "Generic error",
        code::BREAK => "Loop terminated by pcap_breakloop",
        code::NOT_ACTIVATED => "The pcap_t has not been activated",
        code::ACTIVATED => "The setting can't be changed after the pcap_t is activated",
        code::NO_SUCH_DEVICE => "No such device exists",
        code::RFMON_NOTSUP => "That device doesn't support monitor mode",
        code::NOT_RFMON => "That operation is supported only in monitor mode",
        code::PERM_DENIED => "You don't have permission to perform this capture on that device",
        code::IFACE_NOT_UP => "That device is not up",
        code::CANTSET_TSTAMP_TYPE => "That device doesn't support setting the time stamp type",
        code::PROMISC_PERM_DENIED => {
            "You don't have permission to capture in promiscuous mode on that device"
        }
        code::TSTAMP_PRECISION_NOTSUP => "That device doesn't support that time stamp precision",
        _ => return None,
    })
}

/// Like [`known_status_str`], with `"Generic error"` for unknown codes (the ABI
/// formats `"Unknown error: N"` itself, into its own buffer).
pub fn status_to_str(status: i32) -> &'static str {
    known_status_str(status).unwrap_or("Generic error")
}

/// Cut a message to what fits in a libpcap errbuf (255 bytes), on a UTF-8
/// character boundary.
pub fn truncate_for_errbuf(msg: &str) -> &str {
    let max = ERRBUF_SIZE - 1;
    if msg.len() <= max {
        return msg;
    }
    let mut end = max;
    while !msg.is_char_boundary(end) {
        end -= 1;
    }
    &msg[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_texts_are_libpcaps() {
        assert_eq!(status_to_str(code::BREAK), "Loop terminated by pcap_breakloop");
        assert_eq!(known_status_str(-99), None);
        assert_eq!(Error::new(code::NO_SUCH_DEVICE, "").text(), "No such device exists");
    }

    #[test]
    fn errno_text_is_glibcs() {
        let e = Error::os("socket", &std::io::Error::from_raw_os_error(libc::EPERM));
        assert_eq!(e.message, "socket: Operation not permitted");
        assert_eq!(e.code, code::ERROR);
    }

    #[test]
    fn truncation_keeps_char_boundaries() {
        let long = "é".repeat(200);
        let t = truncate_for_errbuf(&long);
        assert!(t.len() <= 255);
        assert!(t.len() >= 254);
        assert_eq!(truncate_for_errbuf("short"), "short");
    }
}
