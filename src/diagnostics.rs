//! Diagnostics: the one place that knows about ariadne.
//!
//! Every stage reports problems as `Diagnostic` values (plain data with byte spans);
//! only `render` turns them into text, so colour, layout and golden-file stability are
//! decided here and nowhere else.

use std::fmt;
use std::ops::Range;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};

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

/// One problem found in a script: where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
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
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            helps: Vec::new(),
        }
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

/// Renders diagnostics for the source `name` with text `src`.
///
/// Trailing spaces are stripped from every line, so output is stable for golden files
/// whatever ariadne pads with.
pub fn render(diagnostics: &[Diagnostic], name: &str, src: &str, color: bool) -> String {
    let mut out = Vec::new();
    let mut cache = (name.to_string(), Source::from(src));
    for diagnostic in diagnostics {
        let clamp = |span: Span| {
            let end = floor_char_boundary(src, span.end.min(src.len()));
            let start = floor_char_boundary(src, span.start.min(end));
            start..end
        };
        let (kind, primary_color) = match diagnostic.severity {
            Severity::Error => (ReportKind::Error, Color::Red),
            Severity::Warning => (ReportKind::Warning, Color::Yellow),
        };
        let anchor = clamp(diagnostic.primary_span());
        let mut report = Report::build(kind, (name.to_string(), anchor)).with_config(
            Config::default()
                .with_index_type(IndexType::Byte)
                .with_color(color),
        );
        report.set_message(&diagnostic.message);
        for (i, label) in diagnostic.labels.iter().enumerate() {
            let label_color = if i == 0 { primary_color } else { Color::Cyan };
            report.add_label(
                Label::new((name.to_string(), clamp(label.span)))
                    .with_message(&label.message)
                    .with_color(label_color)
                    .with_order(i as i32),
            );
        }
        for note in &diagnostic.notes {
            report.add_note(note);
        }
        for help in &diagnostic.helps {
            report.add_help(help);
        }
        // Writing to a Vec cannot fail.
        let _ = report.finish().write(&mut cache, &mut out);
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
    }

    #[test]
    fn render_strips_trailing_spaces_and_names_the_file() {
        let d = Diagnostic::error("bad thing")
            .with_label(Span::new(4, 5), "here")
            .with_help("do better");
        let text = render(&[d], "x.grad", "let = 1\n", false);
        assert!(text.contains("x.grad:1:5"), "{text}");
        assert!(text.lines().all(|l| !l.ends_with(' ')));
        assert!(text.contains("Help: do better"), "{text}");
    }
}
