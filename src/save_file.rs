//! Writing a saved script or weights file to disk without ever losing what was there:
//! `:save` refuses to replace a file (`:save!` does), and the bytes go to a temporary file
//! beside the target, is flushed to disk, and only then renamed over it. A crash or
//! `kill -9` at any moment leaves either the old file or the new one, never a part.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What to do when the target already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse (`:save`).
    Keep,
    /// Replace it (`:save!`).
    Replace,
}

/// Writes `bytes` to `path`; the error is the message for the user.
pub fn write(path: &Path, bytes: &[u8], existing: Existing) -> Result<(), String> {
    let shown = path.display();
    match fs::symlink_metadata(path) {
        // Renaming over a device, a directory or a link would replace the thing itself.
        Ok(meta) if !meta.is_file() => {
            return Err(format!(
                "`{shown}` is not a regular file; :save writes only regular files"
            ));
        }
        Ok(_) if existing == Existing::Keep => {
            return Err(format!(
                "`{shown}` already exists; `:save! {shown}` replaces it"
            ));
        }
        _ => {}
    }
    let temporary = temporary_path(path);
    let written = write_synced(&temporary, bytes).and_then(|()| place(&temporary, path, existing));
    if let Err(e) = written {
        let _ = fs::remove_file(&temporary);
        if e.kind() == io::ErrorKind::AlreadyExists {
            return Err(format!(
                "`{shown}` already exists; `:save! {shown}` replaces it"
            ));
        }
        return Err(format!("cannot write `{shown}`: {e}"));
    }
    // The rename itself is durable only once the directory is synced; a failure here
    // loses nothing (old or new content is whole), so it is not reported.
    if let Ok(dir) = File::open(directory(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Moves the written file to its name. Without `:save!`, a hard link does it, which
/// fails if a file appeared under the name since it was looked at; where links are not
/// supported, a rename does.
fn place(temporary: &Path, path: &Path, existing: Existing) -> io::Result<()> {
    if existing == Existing::Keep {
        match fs::hard_link(temporary, path) {
            Ok(()) => {
                // The script is saved; a leftover temporary name is no reason to say not.
                let _ = fs::remove_file(temporary);
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) => {}
        }
    }
    fs::rename(temporary, path)
}

fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A name beside the target (a rename works only within one file system) that no
/// other gradlab process picks at the same time.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "saved".into());
    directory(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn scratch(name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join("save-file-tests")
            .join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("the scratch folder")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_existing_file_is_replaced_only_when_asked() {
        let dir = scratch("replace");
        let path = dir.join("a.grad");
        write(&path, b"let a = 1\n", Existing::Keep).expect("a new file");
        let refused = write(&path, b"let a = 2\n", Existing::Keep).unwrap_err();
        assert!(refused.contains("already exists; `:save! "), "{refused}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "let a = 1\n");
        write(&path, b"let a = 2\n", Existing::Replace).expect("replaced");
        assert_eq!(fs::read_to_string(&path).unwrap(), "let a = 2\n");
        assert_eq!(entries(&dir), ["a.grad"], "no temporary file is left");
    }

    #[test]
    fn a_file_that_appears_after_the_check_is_not_replaced() {
        let dir = scratch("race");
        let (temporary, path) = (dir.join(".a.grad.tmp"), dir.join("a.grad"));
        fs::write(&temporary, "new").unwrap();
        fs::write(&path, "theirs").unwrap();
        let error = place(&temporary, &path, Existing::Keep).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&path).unwrap(), "theirs");
    }

    #[test]
    fn the_old_file_is_never_written_in_place() {
        // A reader that opened the old file still sees all of it after the save: the
        // new text went to another file that was renamed over the name.
        let dir = scratch("in-place");
        let path = dir.join("a.grad");
        fs::write(&path, "let old = 1\n").unwrap();
        let mut old = File::open(&path).unwrap();
        write(&path, b"let new = 2\n", Existing::Replace).expect("replaced");
        let mut seen = String::new();
        old.read_to_string(&mut seen).unwrap();
        assert_eq!(seen, "let old = 1\n");
        assert_eq!(fs::read_to_string(&path).unwrap(), "let new = 2\n");
    }

    #[test]
    fn failures_are_errors_and_leave_nothing_behind() {
        let dir = scratch("failures");
        let missing = write(&dir.join("no/such/a.grad"), b"x", Existing::Keep).unwrap_err();
        assert!(missing.starts_with("cannot write `"), "{missing}");
        let device = write(Path::new("/dev/full"), b"x", Existing::Replace).unwrap_err();
        assert!(device.contains("is not a regular file"), "{device}");
        let folder = write(&dir, b"x", Existing::Replace).unwrap_err();
        assert!(folder.contains("is not a regular file"), "{folder}");
        // The target's folder is a file: the temporary file cannot be made; nothing stays.
        fs::write(dir.join("plain"), "").unwrap();
        assert!(write(&dir.join("plain/a.grad"), b"x", Existing::Replace).is_err());
        assert_eq!(entries(&dir), ["plain"]);
    }
}
