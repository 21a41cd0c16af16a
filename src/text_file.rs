//! Reading a file the user named (a script, a `:load` target, a CSV or weights file) without
//! trusting it: only a regular file is read, never more than a cap, so `/dev/zero`
//! cannot eat the memory, a FIFO cannot hang the reader and a directory is named as
//! one. A UTF-8 byte order mark at the start is dropped, as editors add it unseen.

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::diagnostics::{Diagnostic, ErrorKind, Span};

/// The largest script (`gradlab run`/`check`, `:load`) read, in bytes. Scripts are
/// written by hand; 16 MiB is far beyond any real one.
pub const MAX_SCRIPT_BYTES: u64 = 16 * MIB;

/// One mebibyte, the unit the caps are stated in.
pub const MIB: u64 = 1024 * 1024;

/// The UTF-8 encoding of U+FEFF, the byte order mark.
const BOM: &str = "\u{feff}";

/// Why a file was not read.
#[derive(Debug)]
pub enum FileError {
    Directory,
    /// A device, FIFO or socket: reading one may never end.
    NotRegular,
    /// Larger than `cap` bytes.
    TooLarge {
        cap: u64,
    },
    /// The first byte that is not UTF-8.
    NotUtf8 {
        offset: usize,
    },
    Io(std::io::Error),
}

impl FileError {
    /// A whole sentence naming the file (`shown`) and what it should have been (`what`,
    /// e.g. "script").
    pub fn message(&self, shown: &str, what: &str) -> String {
        match self {
            FileError::Directory => format!("`{shown}` is a directory, not a {what}"),
            FileError::NotRegular | FileError::TooLarge { .. } => {
                format!("`{shown}` {self}, so not read as a {what}")
            }
            FileError::NotUtf8 { .. } => format!("`{shown}` {self}"),
            FileError::Io(e) => format!("cannot read `{shown}`: {e}"),
        }
    }
}

impl FileError {
    /// The error for a file a script names (`csv("…")`, `network n from "…"`), read
    /// relative to the script's folder; `path` as written, at `path_span`.
    pub fn in_script(&self, path: &str, path_span: Span) -> Diagnostic {
        let error = match self {
            FileError::Io(io) => Diagnostic::error(format!("cannot read `{path}`"))
                .with_label(path_span, io.to_string()),
            other => Diagnostic::error(format!("`{path}` {other}"))
                .with_label(path_span, "this file is not read"),
        };
        error
            .with_kind(ErrorKind::Io)
            .with_note("relative paths are resolved from the script's folder")
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Directory => write!(f, "is a directory"),
            FileError::NotRegular => {
                write!(f, "is not a regular file but a device, FIFO or socket")
            }
            FileError::TooLarge { cap } => write!(f, "is larger than {} MiB, the limit", cap / MIB),
            FileError::NotUtf8 { offset } => {
                write!(f, "is not UTF-8 text (invalid byte at offset {offset})")
            }
            FileError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// The text of the regular file at `path`, at most `cap` bytes, without a leading BOM.
pub fn read_text(path: &Path, cap: u64) -> Result<String, FileError> {
    let text = String::from_utf8(read_bytes(path, cap)?).map_err(|e| FileError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(match text.strip_prefix(BOM) {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The bytes of the regular file at `path`, at most `cap` of them (a weights file).
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    // The type and size are looked at before opening: opening a FIFO for reading
    // blocks until someone writes to it.
    check_regular(path, cap)?;
    let file = std::fs::File::open(path).map_err(FileError::Io)?;
    // Checked again on the open file, in case the path was replaced in between.
    check_kind(&file.metadata().map_err(FileError::Io)?, cap)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    // A file that grew past the cap after its size was looked at.
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge { cap });
    }
    Ok(bytes)
}

/// Whether `path` is a regular file of at most `cap` bytes, found without opening it.
pub fn check_regular(path: &Path, cap: u64) -> Result<(), FileError> {
    check_kind(&std::fs::metadata(path).map_err(FileError::Io)?, cap)
}

fn check_kind(metadata: &std::fs::Metadata, cap: u64) -> Result<(), FileError> {
    if metadata.is_dir() {
        return Err(FileError::Directory);
    }
    if !metadata.is_file() {
        return Err(FileError::NotRegular);
    }
    if metadata.len() > cap {
        return Err(FileError::TooLarge { cap });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("gradlab-text-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp folder");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("temp file");
        path
    }

    #[test]
    fn a_device_is_refused_before_reading() {
        let error = read_text(Path::new("/dev/zero"), MAX_SCRIPT_BYTES).unwrap_err();
        assert!(matches!(error, FileError::NotRegular), "{error:?}");
    }

    #[test]
    fn a_directory_is_named_as_one() {
        let error = read_text(Path::new("/"), MAX_SCRIPT_BYTES).unwrap_err();
        assert!(matches!(error, FileError::Directory), "{error:?}");
        assert_eq!(
            error.message("/", "script"),
            "`/` is a directory, not a script"
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let path = temp("big.grad", &[b'#'; 11]);
        let error = read_text(&path, 10).unwrap_err();
        assert!(
            matches!(error, FileError::TooLarge { cap: 10 }),
            "{error:?}"
        );
        assert_eq!(read_text(&path, 11).expect("at the cap").len(), 11);
    }

    #[test]
    fn a_leading_bom_is_dropped_and_only_there() {
        let path = temp("bom.grad", "\u{feff}let a = 1\u{feff}".as_bytes());
        assert_eq!(
            read_text(&path, MAX_SCRIPT_BYTES).expect("text"),
            "let a = 1\u{feff}"
        );
    }
}
