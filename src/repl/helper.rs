//! The rustyline helper: when an input is complete (validation), what Tab offers
//! (completion, worked out in `completion`), grey suggestions from history (hints)
//! and syntax colours.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use logos::Logos;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use super::command::CommandName;
use super::completion::{command_argument, complete_words};
use crate::syntax::token::{CONTEXTUAL_WORDS, KEYWORDS, Token};
use crate::syntax::{self, InputStatus};

/// Whether `text` is an unfinished construct that the next line should continue, as
/// the parser classifies it (`syntax::input_status`). A blank last line always ends
/// the input, finished or not, so a mistake never traps the user in continuation
/// lines; a `:` command is always one line.
pub fn needs_more(text: &str) -> bool {
    if text.trim().is_empty() || text.trim_start().starts_with(':') {
        return false;
    }
    if let Some((_, last_line)) = text.rsplit_once('\n')
        && last_line.trim().is_empty()
    {
        return false;
    }
    syntax::input_status(text) == InputStatus::Partial
}

pub struct ReplHelper {
    /// The session's declared names, refreshed after every input.
    pub declared: Rc<RefCell<Vec<String>>>,
    pub color: bool,
    hinter: HistoryHinter,
    files: FilenameCompleter,
}

impl ReplHelper {
    pub fn new(declared: Rc<RefCell<Vec<String>>>, color: bool) -> Self {
        ReplHelper {
            declared,
            color,
            hinter: HistoryHinter::new(),
            files: FilenameCompleter::new(),
        }
    }
}

impl Helper for ReplHelper {}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let trimmed = line[..pos].trim_start();
        if let Some((CommandName::Load | CommandName::Save | CommandName::SaveReplace, _)) =
            command_argument(trimmed)
        {
            return self.files.complete_path(line, pos);
        }
        let (start, words) = complete_words(line, pos, &self.declared.borrow());
        let pairs = words
            .into_iter()
            .map(|w| Pair {
                display: w.clone(),
                replacement: w,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.hinter.hint(line, pos, ctx)
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        // Lines are gathered one prompt at a time by the loop, so that continuation
        // lines get their own prompt. A buffer that already holds several lines (a
        // block recalled from history) is checked here, and continues in place.
        let input = ctx.input();
        Ok(if input.contains('\n') && needs_more(input) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

const KEYWORD_STYLE: &str = "\x1b[1;35m";
const NUMBER_STYLE: &str = "\x1b[36m";
const STRING_STYLE: &str = "\x1b[32m";
const COMMENT_STYLE: &str = "\x1b[2;37m";
const COMMAND_STYLE: &str = "\x1b[1;34m";
const HINT_STYLE: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// `line` with ANSI colours for keywords, numbers, strings and comments.
pub fn highlight_code(line: &str) -> String {
    if line.trim_start().starts_with(':') {
        let start = line.len() - line.trim_start().len();
        let end = line[start..]
            .find(char::is_whitespace)
            .map_or(line.len(), |i| start + i);
        return format!(
            "{}{COMMAND_STYLE}{}{RESET}{}",
            &line[..start],
            &line[start..end],
            &line[end..]
        );
    }
    let mut out = String::with_capacity(line.len() * 2);
    let mut last = 0;
    for (result, range) in Token::lexer(line).spanned() {
        push_gap(&mut out, &line[last..range.start]);
        let text = &line[range.clone()];
        let style = match &result {
            Ok(Token::Num(_)) => Some(NUMBER_STYLE),
            Ok(Token::Str(_)) => Some(STRING_STYLE),
            Err(_) if text.starts_with('"') => Some(STRING_STYLE),
            Ok(Token::Ident(name)) if CONTEXTUAL_WORDS.contains(name) => Some(KEYWORD_STYLE),
            Ok(Token::Ident(_)) | Err(_) => None,
            Ok(t) if KEYWORDS.contains(&t.to_string().as_str()) => Some(KEYWORD_STYLE),
            Ok(_) => None,
        };
        match style {
            Some(style) => {
                out.push_str(style);
                out.push_str(text);
                out.push_str(RESET);
            }
            None => out.push_str(text),
        }
        last = range.end;
    }
    push_gap(&mut out, &line[last..]);
    out
}

/// Text the lexer skipped: whitespace and comments (`#` to the end of the line).
fn push_gap(out: &mut String, gap: &str) {
    let mut rest = gap;
    while let Some(hash) = rest.find('#') {
        out.push_str(&rest[..hash]);
        let end = rest[hash..].find('\n').map_or(rest.len(), |i| hash + i);
        out.push_str(COMMENT_STYLE);
        out.push_str(&rest[hash..end]);
        out.push_str(RESET);
        rest = &rest[end..];
    }
    out.push_str(rest);
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color {
            Cow::Owned(highlight_code(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("{HINT_STYLE}{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_brackets_and_trailing_operators_continue() {
        assert!(needs_more("network n {"));
        assert!(needs_more("network n {\n  input 1"));
        assert!(needs_more("let x = [1,"));
        assert!(needs_more("let x = 1 +"));
        assert!(needs_more("let x ="));
        assert!(needs_more("train n on"));
        assert!(!needs_more("network n {\n  input 1\n  dense 1 relu\n}"));
        assert!(!needs_more("let x = 1 + 2"));
        assert!(!needs_more("let x = ]"));
        assert!(!needs_more(":help"));
        assert!(!needs_more(""));
    }

    #[test]
    fn a_blank_line_submits() {
        assert!(!needs_more("network n {\n  input 1\n\n"));
        assert!(!needs_more("let x = 1 +\n"));
    }

    #[test]
    fn errors_before_the_end_submit() {
        assert!(!needs_more("let = 1 +"));
        assert!(!needs_more("let x = \"abc"));
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let line = "let x = 1.5 # note\nprint \"hi\"";
        let coloured = highlight_code(line);
        let plain = coloured
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    &part[part.find('m').unwrap() + 1..]
                }
            })
            .collect::<String>();
        assert_eq!(plain, line);
        assert!(coloured.contains(&format!("{COMMENT_STYLE}# note{RESET}")));
    }

    #[test]
    fn the_words_of_saving_and_loading_look_like_keywords() {
        let coloured = highlight_code("save fitted to \"w.safetensors\"");
        assert!(coloured.starts_with(&format!("{KEYWORD_STYLE}save{RESET} fitted ")));
        assert!(coloured.contains(&format!("{KEYWORD_STYLE}to{RESET}")));
    }
}
