//! Standard output that notices when it can no longer be written.
//!
//! The reporters write and move on: a report is not worth stopping a training step for.
//! This writer remembers the first failure instead, drops everything written after it,
//! and raises the session's interrupt flag, so a run whose output nobody can read
//! (`gradlab run x | head`, a full disk) stops at its next step instead of computing
//! for minutes. The front end asks [`WatchedOutput::failure`] at the end.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct WatchedOutput<W: Write> {
    inner: W,
    failure: Option<io::Error>,
    stop: Arc<AtomicBool>,
}

impl<W: Write> WatchedOutput<W> {
    /// Writes to `inner`; the first write error sets `stop`.
    pub fn new(inner: W, stop: Arc<AtomicBool>) -> Self {
        WatchedOutput {
            inner,
            failure: None,
            stop,
        }
    }

    /// The first write error, if any.
    pub fn failure(&self) -> Option<&io::Error> {
        self.failure.as_ref()
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
        if self.failure.is_some() {
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
        if self.failure.is_some() {
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
