//! Noticing that the reader of standard output has gone while nothing is written.
//!
//! A write to a pipe whose reader has exited fails at once, but a run that prints
//! only now and then (`every 100000`, or a summary at the end) writes nothing for
//! minutes after `head -1` has exited. Linux and the BSDs mark the write end of such
//! a pipe with `POLLERR` (or `POLLHUP`), so a small thread polls it and says so.

#[cfg(unix)]
use std::time::Duration;

/// How long one wait lasts: the kernel wakes a poll as the reader closes, so this only
/// bounds how late a missed wake-up is noticed.
#[cfg(unix)]
const WAIT: Duration = Duration::from_millis(500);

/// Calls `gone` once, from a thread of its own, when standard output is a pipe whose
/// reader has closed it. Does nothing when standard output is not a pipe (a terminal
/// or a file has no reader to lose), or off Unix.
#[cfg(unix)]
pub fn on_reader_gone(gone: impl FnOnce() + Send + 'static) {
    if !stdout_is_pipe() {
        return;
    }
    let watcher = std::thread::Builder::new()
        .name("stdout reader".to_string())
        .spawn(move || {
            if wait_for_reader_gone() {
                gone();
            }
        });
    // Without the thread, a closed pipe is still noticed at the next write.
    drop(watcher);
}

#[cfg(not(unix))]
pub fn on_reader_gone(_gone: impl FnOnce() + Send + 'static) {}

#[cfg(unix)]
fn stdout_is_pipe() -> bool {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `fstat` only writes the `stat` it is given, and it is read only when
    // the call succeeded.
    unsafe {
        libc::fstat(libc::STDOUT_FILENO, stat.as_mut_ptr()) == 0
            && stat.assume_init().st_mode & libc::S_IFMT == libc::S_IFIFO
    }
}

/// Blocks until standard output's reader is gone (true), or until it can no longer be
/// watched (false).
#[cfg(unix)]
fn wait_for_reader_gone() -> bool {
    loop {
        // No events asked for: `POLLERR`, `POLLHUP` and `POLLNVAL` are always reported.
        let mut watched = libc::pollfd {
            fd: libc::STDOUT_FILENO,
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid `pollfd`, and the count says one.
        let ready = unsafe { libc::poll(&mut watched, 1, WAIT.as_millis() as libc::c_int) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        if watched.revents & libc::POLLNVAL != 0 {
            return false;
        }
        if watched.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            return true;
        }
    }
}
