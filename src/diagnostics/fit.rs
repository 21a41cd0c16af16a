//! Reports fitted to a terminal's width (the REPL's): long source lines are cut to a
//! window, and the message, notes and helps are wrapped at spaces, their continuation
//! lines aligned under the text they continue. Ariadne draws each part at a fixed
//! place, so the room left for each is known before drawing.

use super::window::{MAX_SHOWN, Room};
use super::{Diagnostic, SourceMap};
use crate::format::wrap;

/// The narrowest room a part is given: below it, overflowing reads better than words
/// on lines of their own.
const MIN_ROOM: usize = 20;
/// The columns ariadne draws between a label's underline and its message, at most.
const ARROW: usize = 6;
/// A longer span's underline is drawn, but its message is not pushed further right.
const MAX_UNDERLINE: usize = 20;

/// The room in a report `width` columns wide.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    width: usize,
    /// The columns before a source line or a note: ` 12 │ `.
    margin: usize,
}

impl Fit {
    pub fn new(width: usize, diagnostic: &Diagnostic, sources: &SourceMap) -> Fit {
        let last_line = diagnostic
            .labels
            .iter()
            .filter_map(|label| sources.locate(label.span.end))
            .map(|(_, line, _)| line)
            .max()
            .unwrap_or(1);
        Fit {
            width,
            margin: last_line.to_string().len() + 4,
        }
    }

    fn room(self, used: usize) -> usize {
        self.width.saturating_sub(used).max(MIN_ROOM)
    }

    /// The room for the source lines: at most the width, with a cut mark on each
    /// side, and little enough before a label that its message fits after it.
    pub fn source(self, diagnostic: &Diagnostic) -> Room {
        let max = self.room(self.margin + 2).min(MAX_SHOWN);
        // Ariadne draws a message after its label's arrow: `──┬──` then `╰─── text`.
        let needed = diagnostic
            .labels
            .iter()
            .map(|label| {
                let underline = (label.span.end - label.span.start).min(MAX_UNDERLINE);
                underline + ARROW + label.message.chars().count()
            })
            .max()
            .unwrap_or(0);
        let lead = self.width.saturating_sub(self.margin + 1 + needed);
        Room {
            max,
            lead: Some(lead),
        }
    }

    /// The header's message after `Error: ` (`prefix`); ariadne does not indent its
    /// continuation lines, so they are indented here.
    pub fn message(self, prefix: &str, message: &str) -> String {
        let indent = prefix.chars().count() + 2;
        lines(message, self.room(indent)).join(&format!("\n{}", " ".repeat(indent)))
    }

    /// A note or help after `Note: ` or `Help 2: ` (`prefix`); ariadne indents its
    /// continuation lines itself.
    pub fn note(self, prefix: &str, note: &str) -> String {
        lines(note, self.room(self.margin + prefix.chars().count() + 2)).join("\n")
    }
}

/// `text`'s lines, each one longer than `room` wrapped; a line that fits is kept as it
/// is written (a code example keeps its spaces).
fn lines(text: &str, room: usize) -> Vec<String> {
    text.lines()
        .flat_map(|line| {
            if line.chars().count() <= room {
                vec![line.to_string()]
            } else {
                wrap(line, room)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_and_short_ones_stay() {
        let text = "keep  these  spaces\nthen a line that is far too long for the room";
        assert_eq!(
            lines(text, 20),
            [
                "keep  these  spaces",
                "then a line that is",
                "far too long for the",
                "room"
            ]
        );
    }

    #[test]
    fn the_message_continues_under_itself() {
        let fit = Fit {
            width: 40,
            margin: 5,
        };
        let message = fit.message("Error", "the loss stopped improving by step 2942 of 3000");
        assert_eq!(
            message,
            "the loss stopped improving by\n       step 2942 of 3000"
        );
    }
}
