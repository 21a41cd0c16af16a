//! Standard output that notices when it can no longer be written.
//!
//! The reporters write and move on: a report is not worth stopping a training step for.
//! This writer remembers the first failure instead, drops everything written after it,
//! and raises the session's interrupt flag, so a run whose output nobody can read
//! (`gradlab run x | head`, a full disk) stops at its next step instead of computing
//! for minutes. With [`WatchedOutput::watch_reader`], a pipe whose reader is gone is
//! noticed within a second even while nothing is written, and counts as a failed
//! write. The front end asks [`WatchedOutput::failure`] at the end.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct WatchedOutput<W: Write> {
    inner: W,
    failure: Option<io::Error>,
    stop: Arc<AtomicBool>,
    /// Set by the watcher thread when the pipe's reader has gone.
    reader_gone: Arc<AtomicBool>,
}

impl<W: Write> WatchedOutput<W> {
    /// Writes to `inner`; the first write error sets `stop`.
    pub fn new(inner: W, stop: Arc<AtomicBool>) -> Self {
        WatchedOutput {
            inner,
            failure: None,
            stop,
            reader_gone: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Watches standard output (which `inner` must write to) for a pipe whose reader
    /// has gone: once it has, `stop` is set at once, and the next write or flush fails
    /// as a write to the closed pipe would.
    pub fn watch_reader(&self) {
        let (gone, stop) = (self.reader_gone.clone(), self.stop.clone());
        super::reader_gone::on_reader_gone(move || {
            gone.store(true, Ordering::SeqCst);
            stop.store(true, Ordering::SeqCst);
        });
    }

    /// The first write error, if any.
    pub fn failure(&self) -> Option<&io::Error> {
        self.failure.as_ref()
    }

    /// Whether writing must stop: it failed, or the reader is gone.
    fn failed(&mut self) -> bool {
        if self.failure.is_none() && self.reader_gone.load(Ordering::SeqCst) {
            self.fail(io::ErrorKind::BrokenPipe.into());
        }
        self.failure.is_some()
    }

    fn fail(&mut self, error: io::Error) {
        if self.failure.is_none() {
            self.failure = Some(error);
            self.stop.store(true, Ordering::SeqCst);
        }
    }
}

impl<W: Write> Write for WatchedOutput<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed() {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            // `write_all` retries an interrupted write itself.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Err(error),
            Err(error) => {
                self.fail(error);
                Ok(buf.len())
            }
            Ok(written) => Ok(written),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed() {
            return Ok(());
        }
        if let Err(error) = self.inner.flush() {
            self.fail(error);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_error_is_kept_and_raises_the_flag() {
        let stop = Arc::new(AtomicBool::new(false));
        let mut out = WatchedOutput::new(Closed, stop.clone());
        writeln!(out, "one").expect("errors are kept, not returned");
        writeln!(out, "two").expect("later writes are dropped");
        assert!(stop.load(Ordering::SeqCst));
        let kind = out.failure().map(io::Error::kind);
        assert_eq!(kind, Some(io::ErrorKind::BrokenPipe));
    }

    /// What the watcher thread does when the reader has gone: the next write is
    /// dropped and kept as a closed-pipe failure.
    #[test]
    fn a_gone_reader_fails_the_next_write() {
        let stop = Arc::new(AtomicBool::new(false));
        let mut out = WatchedOutput::new(Vec::new(), stop.clone());
        out.reader_gone.store(true, Ordering::SeqCst);
        writeln!(out, "one").expect("errors are kept, not returned");
        let kind = out.failure().map(io::Error::kind);
        assert_eq!(kind, Some(io::ErrorKind::BrokenPipe));
        assert!(out.inner.is_empty());
    }

    #[test]
    fn a_working_writer_passes_through() {
        let stop = Arc::new(AtomicBool::new(false));
        let mut out = WatchedOutput::new(Vec::new(), stop.clone());
        writeln!(out, "one").expect("written");
        out.flush().expect("flushed");
        assert!(!stop.load(Ordering::SeqCst));
        assert!(out.failure().is_none());
        assert_eq!(out.inner, b"one\n");
    }
}
