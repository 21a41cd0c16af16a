//! The size of the terminal the REPL writes its reports to.

/// The width in columns of the terminal on stderr, or `None` when stderr is not a
/// terminal. Asked before every input, so a resized window is followed.
#[cfg(unix)]
pub fn stderr_width() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into `size`, which outlives the call.
    let answered = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (answered && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[cfg(not(unix))]
pub fn stderr_width() -> Option<usize> {
    None
}
