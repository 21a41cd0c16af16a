//! Diagnostics: the one place that knows about ariadne.
//!
//! Every stage reports problems as `Diagnostic` values (plain data with byte spans);
//! only `render` turns them into text, so colour, layout and golden-file stability are
//! decided here and nowhere else.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};

mod fit;
mod window;
use fit::Fit;
use window::{Room, Windowed};

/// A byte range in one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

impl From<chumsky::span::SimpleSpan> for Span {
    fn from(span: chumsky::span::SimpleSpan) -> Self {
        Span::new(span.start, span.end)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelText {
    pub span: Span,
    pub message: String,
}

/// What kind of problem a diagnostic reports. The message says it to people; the
/// kind says it to code that branches on it, and to JSON readers (`code`), so that
/// neither parses the message text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A name used but never declared. Behind a thin pointer: every checker function
    /// returns `Result<_, Diagnostic>`, so a diagnostic stays under 128 bytes.
    UnknownName { name: Arc<String> },
    /// A name that is none of a family of built-ins: a loss, an activation, a
    /// setting, a layer attribute, a function…
    UnknownBuiltin,
    /// An argument naming a parameter its callee does not have.
    UnknownParameter,
    /// A name declared twice, or a built-in name declared.
    Redeclared,
    /// A value of the wrong type, or out of its range.
    InvalidValue,
    /// Data, a matrix or an input whose shape does not fit the network.
    ShapeMismatch,
    /// Something larger than gradlab simulates.
    TooLarge,
    /// A file that cannot be read.
    Io,
    /// What training found: exploding or vanishing gradients, a jump in the loss…
    Finding,
    /// A mistake of gradlab's, not of the script.
    Internal,
    /// Not classified further.
    Other,
}

impl ErrorKind {
    pub fn unknown_name_of(name: &str) -> ErrorKind {
        ErrorKind::UnknownName {
            name: Arc::new(name.to_string()),
        }
    }

    /// The kind as JSON's `code` names it: snake_case, stable.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::UnknownName { .. } => "unknown_name",
            ErrorKind::UnknownBuiltin => "unknown_builtin",
            ErrorKind::UnknownParameter => "unknown_parameter",
            ErrorKind::Redeclared => "redeclared",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::ShapeMismatch => "shape_mismatch",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Io => "io",
            ErrorKind::Finding => "finding",
            ErrorKind::Internal => "internal",
            ErrorKind::Other => "other",
        }
    }

    /// The undeclared name, if this reports one.
    pub fn unknown_name(&self) -> Option<&str> {
        match self {
            ErrorKind::UnknownName { name } => Some(name.as_str()),
            _ => None,
        }
    }

    pub fn is_unknown_name(&self) -> bool {
        self.unknown_name().is_some()
    }

    pub fn is_internal(&self) -> bool {
        *self == ErrorKind::Internal
    }
}

/// One problem found in a script: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// What kind of problem it is; `Other` unless its maker says.
    pub kind: ErrorKind,
    pub message: String,
    /// The first label is the primary one; the report is anchored on it.
    pub labels: Vec<LabelText>,
    pub notes: Vec<String>,
    pub helps: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message)
    }

    fn new(severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            // Every warning is a finding of a run; errors say their kind with `with_kind`.
            kind: match severity {
                Severity::Error => ErrorKind::Other,
                Severity::Warning => ErrorKind::Finding,
            },
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            helps: Vec::new(),
        }
    }

    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(LabelText {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.helps.push(help.into());
        self
    }

    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// Line and column (both 1-based, column in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(src, offset.min(src.len()));
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(src: &str, mut offset: usize) -> usize {
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One source text (a script, or one REPL input) in a session.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    /// Spans in this file start at `base`: every file of a session has its own range
    /// of offsets, so a span alone says which file it is in.
    pub base: usize,
    /// Byte offset of the start of every line, for finding line numbers quickly.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Line and column (both 1-based, column in characters) of a local byte offset:
    /// as `line_col`, but in O(log lines + line length) rather than O(offset).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

/// All the sources a session has seen, so a report about one input can point at a
/// declaration made in another.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Adds a source and returns its base offset.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        let text: String = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            base,
            line_starts,
        });
        base
    }

    pub fn file_at(&self, offset: usize) -> Option<&SourceFile> {
        self.files
            .iter()
            .rev()
            .find(|f| f.base <= offset && offset <= f.base + f.text.len())
    }

    /// File name, line and column of a global offset.
    pub fn locate(&self, offset: usize) -> Option<(&str, usize, usize)> {
        let file = self.file_at(offset)?;
        let (line, col) = file.line_col(offset - file.base);
        Some((&file.name, line, col))
    }

    /// Drops every file (the REPL's `:reset`).
    pub fn clear(&mut self) {
        self.files.clear();
    }
}

/// Renders diagnostics against the sources their spans point into.
///
/// Trailing spaces are stripped from every line, so output is stable for golden files
/// whatever ariadne pads with.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    render_within(diagnostics, sources, color, None)
}

/// As [`render`], fitted to a terminal `width` columns wide when there is one.
pub fn render_within(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    color: bool,
    width: Option<usize>,
) -> String {
    let mut out = Vec::new();
    let mut cache = ariadne::sources(
        sources
            .files
            .iter()
            .map(|f| (f.name.clone(), f.text.clone())),
    );
    for diagnostic in diagnostics {
        // A label whose file is unknown (it cannot happen, but a report must not panic)
        // is dropped rather than drawn at a wrong place.
        let local = |span: Span| -> Option<(&SourceFile, Range<usize>)> {
            let file = sources.file_at(span.start)?;
            let text = &file.text;
            let local_end = span.end.saturating_sub(file.base).min(text.len());
            let end = floor_char_boundary(text, local_end);
            let start = floor_char_boundary(text, (span.start - file.base).min(end));
            Some((file, start..end))
        };
        let fit = width.map(|width| Fit::new(width, diagnostic, sources));
        let windows = windows(
            diagnostic,
            sources,
            fit.map_or(Room::UNFITTED, |f| f.source(diagnostic)),
        );
        let place = |span: Span| -> Option<(String, Range<usize>)> {
            let (file, range) = local(span)?;
            let range = match windows.iter().find(|(name, _)| **name == file.name) {
                Some((_, shown)) => shown.map(range.start)..shown.map(range.end),
                None => range,
            };
            Some((file.name.clone(), range))
        };
        let (kind, primary_color) = match diagnostic.severity {
            Severity::Error => (ReportKind::Error, Color::Red),
            Severity::Warning => (ReportKind::Warning, Color::Yellow),
        };
        let Some(anchor) = place(diagnostic.primary_span()) else {
            out.extend_from_slice(format!("{}: {}\n", kind, diagnostic.message).as_bytes());
            continue;
        };
        let mut report = Report::build(kind, anchor).with_config(
            Config::default()
                .with_index_type(IndexType::Byte)
                .with_color(color),
        );
        report.set_message(match fit {
            Some(fit) => fit.message(&kind.to_string(), &diagnostic.message),
            None => diagnostic.message.clone(),
        });
        // ariadne starts a new section whenever a label lies above the previous one, so
        // labels go in source order; colour still tells the primary one apart.
        let mut labels: Vec<(usize, &LabelText)> = diagnostic.labels.iter().enumerate().collect();
        labels.sort_by_key(|(_, l)| l.span.start);
        for (i, label) in labels {
            let Some(at) = place(label.span) else {
                continue;
            };
            let label_color = if i == 0 { primary_color } else { Color::Cyan };
            report.add_label(
                Label::new(at)
                    .with_message(&label.message)
                    .with_color(label_color),
            );
        }
        // Ariadne numbers the notes (and the helps) when there are several.
        let prefix = |what: &str, count: usize| match count {
            1 => what.to_string(),
            _ => format!("{what} {count}"),
        };
        let fitted = |prefix: &str, text: &String| match fit {
            Some(fit) => fit.note(prefix, text),
            None => text.clone(),
        };
        let note_prefix = prefix("Note", diagnostic.notes.len());
        for note in &diagnostic.notes {
            report.add_note(fitted(&note_prefix, note));
        }
        let help_prefix = prefix("Help", diagnostic.helps.len());
        for help in &diagnostic.helps {
            report.add_help(fitted(&help_prefix, help));
        }
        // Writing to a Vec cannot fail.
        if windows.is_empty() {
            let _ = report.finish().write(&mut cache, &mut out);
            continue;
        }
        let mut shown_cache = ariadne::sources(sources.files.iter().map(|f| {
            let text = match windows.iter().find(|(name, _)| **name == f.name) {
                Some((_, shown)) => shown.text.clone(),
                None => f.text.clone(),
            };
            (f.name.clone(), text)
        }));
        let mut one = Vec::new();
        let _ = report.finish().write(&mut shown_cache, &mut one);
        let text = String::from_utf8_lossy(&one);
        // The header's column counts in the cut line; the reader wants the true one.
        let header = match local(diagnostic.primary_span()) {
            Some((file, range)) => true_column(&text, file, range.start),
            None => text.into_owned(),
        };
        out.extend_from_slice(header.as_bytes());
    }
    let text = String::from_utf8_lossy(&out);
    let mut stripped: String = text
        .lines()
        .map(|line| line.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    if !stripped.is_empty() {
        stripped.push('\n');
    }
    stripped
}

/// The files of `diagnostic`'s labels that have a line longer than `room` allows,
/// each cut to windows around the labels in it.
fn windows<'a>(
    diagnostic: &Diagnostic,
    sources: &'a SourceMap,
    room: Room,
) -> Vec<(&'a String, Windowed)> {
    let mut windows: Vec<(&String, Windowed)> = Vec::new();
    for label in &diagnostic.labels {
        let Some(file) = sources.file_at(label.span.start) else {
            continue;
        };
        if windows.iter().any(|(name, _)| **name == file.name) {
            continue;
        }
        let points: Vec<usize> = diagnostic
            .labels
            .iter()
            .filter(|l| {
                sources
                    .file_at(l.span.start)
                    .is_some_and(|f| f.base == file.base)
            })
            .map(|l| l.span.start - file.base)
            .collect();
        if let Some(shown) = Windowed::new(&file.text, &points, room) {
            windows.push((&file.name, shown));
        }
    }
    windows
}

/// `report` with the column of its header (`[ file:line:column ]`) set to the true
/// column of `offset` in `file`.
fn true_column(report: &str, file: &SourceFile, offset: usize) -> String {
    let (line, column) = file.line_col(offset);
    let place = format!("{}:{line}:", file.name);
    let Some(at) = report.find(&place) else {
        return report.to_string();
    };
    let digits = at + place.len();
    let end = report[digits..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(report.len(), |n| digits + n);
    format!("{}{column}{}", &report[..digits], &report[end..])
}

/// Whether to colour output written to a stream, following `--color` and `NO_COLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self, stream_is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let src = "ab\nçd e";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 6), (2, 3));
        let mut sources = SourceMap::default();
        sources.add("a", "x\n");
        let base = sources.add("b", src);
        for offset in 0..=src.len() {
            let (_, line, col) = sources.locate(base + offset).expect("in b");
            assert_eq!((line, col), line_col(src, offset), "offset {offset}");
        }
    }

    #[test]
    fn render_strips_trailing_spaces_and_names_the_file() {
        let d = Diagnostic::error("bad thing")
            .with_label(Span::new(4, 5), "here")
            .with_help("do better");
        let mut sources = SourceMap::default();
        sources.add("first.grad", "let a = 1\n");
        let base = sources.add("x.grad", "let = 1\n");
        let d = Diagnostic {
            labels: vec![LabelText {
                span: Span::new(base + 4, base + 5),
                message: "here".into(),
            }],
            ..d
        };
        let text = render(&[d], &sources, false);
        assert!(text.contains("x.grad:1:5"), "{text}");
        assert!(text.lines().all(|l| !l.ends_with(' ')));
        assert!(text.contains("Help: do better"), "{text}");
    }
}
