//! The `:` commands, typed. The help table, Tab completion and dispatch all read
//! [`CommandName::ALL`], and a line becomes a [`Command`] through `FromStr`: an
//! unknown or ambiguous word is a [`CommandError`], never a fallback.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::save_file::Existing;
use crate::signature::did_you_mean;

/// Which command, without its argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandName {
    Help,
    Load,
    List,
    Show,
    Save,
    /// `:save!`, which replaces an existing file.
    SaveReplace,
    Plot,
    Reset,
    Quit,
}

impl CommandName {
    /// Every command, in the order `:help` lists them.
    pub const ALL: [CommandName; 9] = [
        CommandName::Help,
        CommandName::Load,
        CommandName::List,
        CommandName::Show,
        CommandName::Save,
        CommandName::SaveReplace,
        CommandName::Plot,
        CommandName::Reset,
        CommandName::Quit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CommandName::Help => "help",
            CommandName::Load => "load",
            CommandName::List => "list",
            CommandName::Show => "show",
            CommandName::Save => "save",
            CommandName::SaveReplace => "save!",
            CommandName::Plot => "plot",
            CommandName::Reset => "reset",
            CommandName::Quit => "quit",
        }
    }

    /// Other words for it, besides its name and the prefixes of its name.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            CommandName::Help => &["h", "?"],
            CommandName::Quit => &["exit", "q"],
            CommandName::Load
            | CommandName::List
            | CommandName::Show
            | CommandName::Save
            | CommandName::SaveReplace
            | CommandName::Plot
            | CommandName::Reset => &[],
        }
    }

    /// Its argument, as the help table shows it; empty when it takes none.
    pub fn args(self) -> &'static str {
        match self {
            CommandName::Help => "[TOPIC]",
            CommandName::Load | CommandName::Save | CommandName::SaveReplace => "FILE",
            CommandName::Show => "NAME",
            CommandName::List | CommandName::Plot | CommandName::Reset | CommandName::Quit => "",
        }
    }

    /// Whether the argument must be given.
    fn needs_arg(self) -> bool {
        match self {
            CommandName::Load
            | CommandName::Show
            | CommandName::Save
            | CommandName::SaveReplace => true,
            CommandName::Help
            | CommandName::List
            | CommandName::Plot
            | CommandName::Reset
            | CommandName::Quit => false,
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            CommandName::Help => "this overview, or help on a construct or built-in name",
            CommandName::Load => "run a script into the session",
            CommandName::List => "the declared names and their kinds",
            CommandName::Show => "a network's layers, a data set's first rows, or a value",
            CommandName::Save => {
                "write the declarations as a script for `gradlab run` (to a new file)"
            }
            CommandName::SaveReplace => "the same, replacing FILE if it exists",
            CommandName::Plot => {
                "the last input's runs as an HTML report with charts; prints its path"
            }
            CommandName::Reset => "forget every declaration",
            CommandName::Quit => "leave (Ctrl-D does too)",
        }
    }
}

/// A word that names no command, or more than one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    Unknown(String),
    /// A prefix of several commands' names.
    Ambiguous(String, Vec<CommandName>),
    MissingArgument(CommandName),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Unknown(word) => {
                let names = CommandName::ALL.iter().map(|c| c.name());
                let hint = did_you_mean(word, names)
                    .map(|n| format!("did you mean `:{n}`? "))
                    .unwrap_or_default();
                write!(
                    f,
                    "unknown command `:{word}`; {hint}:help lists the commands"
                )
            }
            CommandError::Ambiguous(word, candidates) => {
                let list: Vec<String> = candidates
                    .iter()
                    .map(|c| format!(":{}", c.name()))
                    .collect();
                write!(
                    f,
                    "`:{word}` could be {}; type more of it",
                    list.join(" or ")
                )
            }
            CommandError::MissingArgument(name) => {
                write!(f, "usage: :{} {}", name.name(), name.args())
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// A word after `:`: a name, an alias, or a prefix of exactly one name.
impl FromStr for CommandName {
    type Err = CommandError;

    fn from_str(word: &str) -> Result<Self, CommandError> {
        let exact = CommandName::ALL
            .into_iter()
            .find(|c| c.name() == word || c.aliases().contains(&word));
        if let Some(name) = exact {
            return Ok(name);
        }
        let matching: Vec<CommandName> = CommandName::ALL
            .into_iter()
            // `!` replaces a file: it is typed in full, never reached by a prefix.
            .filter(|c| !c.name().ends_with('!'))
            .filter(|c| !word.is_empty() && c.name().starts_with(word))
            .collect();
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(CommandError::Unknown(word.to_string())),
            _ => Err(CommandError::Ambiguous(word.to_string(), matching)),
        }
    }
}

/// A whole `:` command, with its argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:help`, with a topic or empty.
    Help(String),
    Load(PathBuf),
    List,
    Show(String),
    /// `:save` or `:save!`, and whether it may replace a file.
    Save(PathBuf, Existing),
    Plot,
    Reset,
    Quit,
}

/// A line such as `:show chain` or `:l "my file.grad"` (the leading `:` optional).
impl FromStr for Command {
    type Err = CommandError;

    fn from_str(line: &str) -> Result<Self, CommandError> {
        let line = line.trim().trim_start_matches(':');
        let (word, arg) = match line.split_once(char::is_whitespace) {
            Some((word, arg)) => (word, arg.trim()),
            None => (line, ""),
        };
        let name: CommandName = word.parse()?;
        if name.needs_arg() && arg.is_empty() {
            return Err(CommandError::MissingArgument(name));
        }
        Ok(match name {
            CommandName::Help => Command::Help(arg.to_string()),
            CommandName::Load => Command::Load(expand(arg)),
            CommandName::List => Command::List,
            CommandName::Show => Command::Show(arg.to_string()),
            CommandName::Save => Command::Save(expand(arg), Existing::Keep),
            CommandName::SaveReplace => Command::Save(expand(arg), Existing::Replace),
            CommandName::Plot => Command::Plot,
            CommandName::Reset => Command::Reset,
            CommandName::Quit => Command::Quit,
        })
    }
}

/// A path argument: surrounding quotes dropped, a leading `~/` expanded.
fn expand(arg: &str) -> PathBuf {
    let arg = arg.trim();
    let arg = arg
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(arg);
    if let Some(rest) = arg.strip_prefix("~/")
        && let Some(home) = dirs::home_dir()
    {
        return home.join(rest);
    }
    PathBuf::from(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_aliases_and_prefixes() {
        assert_eq!(":help".parse(), Ok(Command::Help(String::new())));
        assert_eq!(":he relu".parse(), Ok(Command::Help("relu".into())));
        assert_eq!(":? relu".parse(), Ok(Command::Help("relu".into())));
        assert_eq!(":q".parse(), Ok(Command::Quit));
        assert_eq!(":exit".parse(), Ok(Command::Quit));
        assert_eq!(":li".parse(), Ok(Command::List));
        assert_eq!(
            ":load \"a b.grad\"".parse(),
            Ok(Command::Load(PathBuf::from("a b.grad")))
        );
        assert_eq!(
            ":sa! x".parse::<Command>(),
            Err(CommandError::Unknown("sa!".into()))
        );
        assert_eq!(
            ":sa x".parse(),
            Ok(Command::Save(PathBuf::from("x"), Existing::Keep))
        );
        assert_eq!(
            ":save! x".parse(),
            Ok(Command::Save(PathBuf::from("x"), Existing::Replace))
        );
        for name in CommandName::ALL {
            assert_eq!(name.name().parse(), Ok(name));
        }
    }

    #[test]
    fn unknown_ambiguous_and_missing_arguments_are_errors() {
        let unknown = ":hlep".parse::<Command>().unwrap_err();
        assert_eq!(unknown, CommandError::Unknown("hlep".into()));
        assert!(unknown.to_string().contains("did you mean `:help`?"));
        let ambiguous = ":s x".parse::<Command>().unwrap_err();
        assert_eq!(
            ambiguous.to_string(),
            "`:s` could be :show or :save; type more of it"
        );
        assert_eq!(
            ":load".parse::<Command>().unwrap_err().to_string(),
            "usage: :load FILE"
        );
        assert!(matches!(
            ":".parse::<Command>(),
            Err(CommandError::Unknown(_))
        ));
    }
}
