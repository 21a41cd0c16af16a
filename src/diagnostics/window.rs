//! Long source lines cut to a window around what a report points at. A report shows
//! whole lines, so without a cut its size grew with the line: one 5 MB line with 25
//! errors made 300 MB of stderr.

use std::ops::Range;

/// The most characters of one source line a report shows (fewer in a narrow
/// terminal).
pub const MAX_SHOWN: usize = 200;
/// Characters kept before the first place a report points at on a cut line, at most
/// a third of the window.
const BEFORE: usize = 40;
/// Marks where a shown line was cut.
const CUT: &str = "…";

/// How much of a source line a report has room for.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    /// The most characters of a line shown.
    pub max: usize,
    /// The most characters shown before the first place a report points at on a line,
    /// so that the label's message after it fits a narrow terminal; a line pointed at
    /// further in is cut even when it is short. `None`: only long lines are cut.
    pub lead: Option<usize>,
}

impl Room {
    /// A report with no terminal to fit.
    pub const UNFITTED: Room = Room {
        max: MAX_SHOWN,
        lead: None,
    };
}

/// A source text whose long lines are cut, and where its byte offsets went. Lines are
/// only shortened, never removed, so line numbers stay true.
pub struct Windowed {
    pub text: String,
    room: Room,
    /// The kept pieces of the original, in order: (range there, start here).
    pieces: Vec<(Range<usize>, usize)>,
}

impl Windowed {
    /// Cuts every line of `text` longer than `room.max` characters (or pointed at
    /// further in than `room.lead`) to a window around the first of `points` (byte
    /// offsets) on it, or its start. `None` when no line needs it: the text is shown
    /// as it is.
    pub fn new(text: &str, points: &[usize], room: Room) -> Option<Windowed> {
        // A line of at most `max` bytes has at most `max` characters.
        let is_long = |line: &str| line.len() > room.max && line.chars().count() > room.max;
        // The first point on the line starting at `start`, if it needs a cut.
        let cut_at = |line: &str, start: usize| -> Option<usize> {
            let end = start + line.len();
            let first = points
                .iter()
                .copied()
                .filter(|p| (start..=end).contains(p))
                .min();
            let too_far = |point: usize| {
                let column = line.get(..point - start).map_or(0, |s| s.chars().count());
                room.lead.is_some_and(|lead| column > lead)
            };
            if is_long(line) {
                Some(first.unwrap_or(start))
            } else {
                first.filter(|&point| too_far(point))
            }
        };
        let mut start = 0;
        let mut needed = false;
        for line in text.split('\n') {
            needed |= cut_at(line, start).is_some();
            start += line.len() + 1;
        }
        if !needed {
            return None;
        }
        let mut shown = Windowed {
            text: String::new(),
            room,
            pieces: Vec::new(),
        };
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let end = start + body.len();
            if let Some(point) = cut_at(body, start) {
                shown.cut_line(body, start, point);
            } else {
                shown.keep(text, start..end);
            }
            if line.len() > body.len() {
                shown.keep(text, end..end + 1);
            }
            start += line.len();
        }
        Some(shown)
    }

    fn keep(&mut self, original: &str, range: Range<usize>) {
        self.pieces.push((range.clone(), self.text.len()));
        self.text.push_str(&original[range]);
    }

    /// Keeps at most `room.max` characters of `line` (which starts at `start`), from a
    /// little before `point`, with a cut mark on each side that lost something.
    fn cut_line(&mut self, line: &str, start: usize, point: usize) {
        let Room { max, lead } = self.room;
        let chars: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
        let at = chars.partition_point(|&i| i < point - start);
        let before = BEFORE.min(max / 3).min(lead.unwrap_or(BEFORE));
        let mut first = at.saturating_sub(before);
        if lead.is_none() {
            // Near the end of a long line, a full window starts earlier.
            first = first.min(chars.len().saturating_sub(max));
        }
        let last = (first + max).min(chars.len());
        let from = chars.get(first).copied().unwrap_or(line.len());
        let to = chars.get(last).copied().unwrap_or(line.len());
        if first > 0 {
            self.text.push_str(CUT);
        }
        self.pieces
            .push((start + from..start + to, self.text.len()));
        self.text.push_str(&line[from..to]);
        if to < line.len() {
            self.text.push_str(CUT);
        }
    }

    /// Where an offset of the original is in the shown text. An offset that was cut
    /// away goes to the nearest kept place after it (the end of the text at worst).
    pub fn map(&self, offset: usize) -> usize {
        let index = self.pieces.partition_point(|(old, _)| old.end < offset);
        match self.pieces.get(index) {
            Some((old, new)) if offset >= old.start => new + (offset - old.start),
            Some((_, new)) => *new,
            None => self.text.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_not_cut() {
        assert!(Windowed::new("let a = 1\nlet b = 2\n", &[4], Room::UNFITTED).is_none());
        let wide = "é".repeat(MAX_SHOWN);
        assert!(Windowed::new(&wide, &[0], Room::UNFITTED).is_none());
    }

    #[test]
    fn a_long_line_keeps_a_window_around_the_point() {
        let long = format!("let a = {}@ + 1", "1 + ".repeat(10_000));
        let text = format!("let x = 1\n{long}\nlet y = 2\n");
        let at = text.find('@').expect("the point");
        let shown = Windowed::new(&text, &[at], Room::UNFITTED).expect("cut");
        let lines: Vec<&str> = shown.text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "let x = 1");
        assert_eq!(lines[2], "let y = 2");
        assert!(lines[1].starts_with(CUT), "{}", lines[1]);
        assert_eq!(lines[1].chars().count(), MAX_SHOWN + 1);
        assert!(lines[1].ends_with("@ + 1"), "{}", lines[1]);
        assert_eq!(&shown.text[shown.map(at)..shown.map(at + 1)], "@");
        assert_eq!(&shown.text[shown.map(text.len() - 10)..], "let y = 2\n");
    }

    #[test]
    fn a_point_early_on_a_long_line_cuts_only_the_end() {
        let text = format!("{}\n", "é".repeat(1000));
        let shown = Windowed::new(&text, &[2], Room::UNFITTED).expect("cut");
        assert_eq!(shown.text, format!("{}{CUT}\n", "é".repeat(MAX_SHOWN)));
        assert_eq!(shown.map(2), 2);
        // Cut away: to the next kept place, the line's end.
        assert_eq!(shown.map(900), 2 * MAX_SHOWN + CUT.len());
    }

    #[test]
    fn a_lead_cuts_a_short_line_pointed_at_far_in() {
        let text = "let a = 1 + 2 + 3 + @\nlet b = 2\n";
        let at = text.find('@').expect("the point");
        let room = Room {
            max: 30,
            lead: Some(4),
        };
        let shown = Windowed::new(text, &[at], room).expect("cut");
        assert_eq!(shown.text, format!("{CUT}3 + @\nlet b = 2\n"));
        let roomy = Room {
            max: 30,
            lead: Some(25),
        };
        assert!(Windowed::new(text, &[at], roomy).is_none());
    }
}
