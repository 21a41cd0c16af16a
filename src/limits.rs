//! The budgets a session checks every run against before it starts (see
//! `check::budget`): how much memory and how much work one script may ask for. A leaf:
//! the command line sets them, the checker reads them.

use std::sync::OnceLock;

/// The work a run may take by default, in floating-point operations: about an hour at
/// the speed of a two-core machine on wide layers, or billions of steps of a small net.
pub const DEFAULT_MAX_WORK: f64 = 1e15;

/// The share of the machine's memory a session may plan to use by default. The rest is
/// for the system and the user's other programs.
const DEFAULT_MEMORY_SHARE: f64 = 0.5;

/// Where the machine's memory cannot be read, the default budget.
const FALLBACK_MAX_MEMORY: u64 = 4 << 30;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Bytes a run may need at its peak, with the data sets the session holds.
    pub max_memory: u64,
    /// Floating-point operations a run block may take (a `compare` or `sweep` counts
    /// every run it makes).
    pub max_work: f64,
    /// How many small runs `compare` and `sweep` train at once.
    pub parallel_runs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: machine_default_memory(),
            max_work: DEFAULT_MAX_WORK,
            parallel_runs: rayon::current_num_threads().max(1),
        }
    }
}

/// Half the memory this process may use: the machine's, or its container's (cgroup)
/// limit when that is lower. Read once.
pub fn machine_default_memory() -> u64 {
    static MEMORY: OnceLock<u64> = OnceLock::new();
    *MEMORY.get_or_init(|| {
        use sysinfo::{MemoryRefreshKind, System};
        let Ok(mut system) = System::new() else {
            return FALLBACK_MAX_MEMORY;
        };
        system.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
        let total = match system.cgroup_limits() {
            Some(limits) => limits.total_memory.min(system.total_memory()),
            None => system.total_memory(),
        };
        if total == 0 {
            FALLBACK_MAX_MEMORY
        } else {
            (total as f64 * DEFAULT_MEMORY_SHARE) as u64
        }
    })
}

/// A size as people write it on a command line: `8G`, `512M`, `1.5GiB`, `2000000`
/// (bytes). The letters are binary multiples, as `free -h` and `ulimit` count.
///
/// ```
/// use gradlab::limits::parse_size;
///
/// assert_eq!(parse_size("512M"), Ok(512 << 20));
/// assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
/// assert_eq!(parse_size("4096"), Ok(4096));
/// assert!(parse_size("lots").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let not_a_size = || format!("`{text}` is not a size: write one like 512M, 8G or 1.5GiB");
    let value: f64 = number.parse().map_err(|_| not_a_size())?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(not_a_size()),
    };
    let bytes = value * (1u64 << shift) as f64;
    if !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!("`{text}` is not a usable memory budget"));
    }
    Ok(bytes as u64)
}

/// A count of floating-point operations: `1e16`, `5e15`, `2000000000`.
///
/// ```
/// use gradlab::limits::parse_work;
///
/// assert_eq!(parse_work("2e16"), Ok(2e16));
/// assert!(parse_work("0").is_err());
/// assert!(parse_work("fast").is_err());
/// ```
pub fn parse_work(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 1.0 => Ok(value),
        _ => Err(format!(
            "`{text}` is not a count of floating-point operations: write one like 1e16"
        )),
    }
}
