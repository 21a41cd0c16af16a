//! Reading piped input line by line without trusting it: `gradlab < /dev/zero` is one
//! endless line, so a line is read only up to a cap, and an input (the lines of one
//! declaration) may not grow past the cap for a script either.

use std::io::{BufRead, Read};

use crate::text_file::{MAX_SCRIPT_BYTES, MIB};

/// The largest piped input: one line, or the lines of one unfinished declaration. The
/// same as for a script file, which could be piped in whole.
pub const MAX_INPUT_BYTES: u64 = MAX_SCRIPT_BYTES;

/// What reading one line gave.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// A line, without its line ending.
    Text(String),
    End,
}

/// Why the piped input stopped being read.
#[derive(Debug)]
pub enum InputError {
    TooLong,
    NotUtf8 { line: usize },
    Io(std::io::Error),
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputError::TooLong => write!(
                f,
                "an input is longer than {} MiB, the limit; stopped reading",
                MAX_INPUT_BYTES / MIB
            ),
            InputError::NotUtf8 { line } => write!(f, "line {line} is not UTF-8 text"),
            InputError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads the next line, refusing one longer than `room` bytes (what is left of the
/// input's cap). `number` is the line's number, for the error.
pub fn read_line(input: &mut impl BufRead, room: u64, number: usize) -> Result<Line, InputError> {
    let mut bytes = Vec::new();
    let read = input
        .take(room + 1)
        .read_until(b'\n', &mut bytes)
        .map_err(InputError::Io)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    } else if read as u64 > room {
        return Err(InputError::TooLong);
    }
    String::from_utf8(bytes)
        .map(Line::Text)
        .map_err(|_| InputError::NotUtf8 { line: number })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_newlines_with_or_without_cr() {
        let mut input: &[u8] = b"let a = 1\r\nprint a\nlast";
        let mut next = || read_line(&mut input, 100, 1).expect("a line");
        assert_eq!(next(), Line::Text("let a = 1".into()));
        assert_eq!(next(), Line::Text("print a".into()));
        assert_eq!(next(), Line::Text("last".into()));
        assert_eq!(next(), Line::End);
    }

    #[test]
    fn an_endless_line_stops_at_the_cap() {
        let mut zeros = std::io::BufReader::new(std::io::repeat(0));
        let error = read_line(&mut zeros, 1000, 1).unwrap_err();
        assert!(matches!(error, InputError::TooLong), "{error:?}");
    }

    #[test]
    fn a_line_exactly_at_the_cap_is_read() {
        let mut input: &[u8] = b"12345\n";
        assert_eq!(
            read_line(&mut input, 5, 1).expect("a line"),
            Line::Text("12345".into())
        );
    }
}
