//! What Tab offers, from the text before the cursor: `:` commands and their
//! arguments, then in code the words that fit where the cursor is. After `sgd(` the
//! optimizer's parameters (`lr=`, `momentum=` …), after `show ` what `show` prints,
//! after `dense 8 ` the activations and after the activation the layer attributes.
//! Every list comes from the built-in tables in `signature`, so completion and
//! "did you mean" never disagree; where no context applies, every known word.

use logos::Logos;

use super::command::CommandName;
use crate::signature::{self as sig, Choice, Family, ParamSig, RemedyName, SettingName, Signature};
use crate::syntax::token::{CONTEXTUAL_WORDS, KEYWORDS, Token};

/// The completion candidates for `line` with the cursor at `pos`: the start of the
/// replaced word and the words that may replace it.
pub fn complete_words(line: &str, pos: usize, declared: &[String]) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &before[start..];
    let trimmed = before.trim_start();
    let candidates: Vec<String> = if word.starts_with(':') && trimmed == word {
        CommandName::ALL
            .iter()
            .map(|c| format!(":{}", c.name()))
            .collect()
    } else if let Some((command, arg)) = command_argument(trimmed) {
        match command {
            _ if arg.contains(' ') => Vec::new(),
            CommandName::Help => super::help::help_topics(),
            CommandName::Show => declared.to_vec(),
            // Files are completed by rustyline's file completer (see `helper`).
            CommandName::Load
            | CommandName::Save
            | CommandName::SaveReplace
            | CommandName::List
            | CommandName::Plot
            | CommandName::Reset
            | CommandName::Quit => Vec::new(),
        }
    } else if trimmed.starts_with(':') {
        Vec::new()
    } else {
        code_candidates(&before[..start], declared)
    };
    let mut matches: Vec<String> = candidates
        .into_iter()
        .filter(|c| c.starts_with(word))
        .collect();
    matches.sort();
    matches.dedup();
    (start, matches)
}

/// The command of a `:` line whose argument is being typed, and the argument so far.
pub fn command_argument(line: &str) -> Option<(CommandName, &str)> {
    let (word, arg) = line.strip_prefix(':')?.split_once(char::is_whitespace)?;
    Some((word.parse().ok()?, arg.trim_start()))
}

/// The words that fit after `code`, the code before the word being completed.
fn code_candidates(code: &str, declared: &[String]) -> Vec<String> {
    let tokens: Vec<(Token, &str)> = Token::lexer(code)
        .spanned()
        .map(|(token, span)| (token.unwrap_or(Token::Error), &code[span]))
        .collect();
    let words = match open_call(&tokens) {
        Some((callee, args)) => argument_words(callee, args),
        None => setting_words(&tokens)
            .or_else(|| attribute_value_words(&tokens))
            .or_else(|| layer_words(&tokens)),
    };
    words.unwrap_or_else(|| code_words(declared))
}

/// Everything Tab may offer in code when nothing narrows it.
fn code_words(declared: &[String]) -> Vec<String> {
    let mut words: Vec<String> = KEYWORDS
        .iter()
        .chain(CONTEXTUAL_WORDS)
        .map(|s| s.to_string())
        .collect();
    for table in sig::FAMILIES.iter().copied().chain([sig::FUNCTIONS]) {
        words.extend(sig::names(table).map(str::to_string));
    }
    words.extend(sig::RUN_SETTINGS.iter().map(|(name, _)| name.to_string()));
    words.extend(sig::PRECISIONS.iter().map(|s| s.to_string()));
    words.extend(sig::LAYER_ATTRS.iter().map(|s| s.to_string()));
    words.extend(declared.iter().cloned());
    words
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn family_words(table: &'static [Signature]) -> Vec<String> {
    sig::names(table).map(String::from).collect()
}

/// The innermost call left open before the cursor: the called name and the tokens
/// of its arguments so far. `None` inside `[ ]` or outside any parentheses.
fn open_call<'t, 's>(
    tokens: &'t [(Token<'s>, &'s str)],
) -> Option<(&'s str, &'t [(Token<'s>, &'s str)])> {
    let mut open = Vec::new();
    for (i, (token, _)) in tokens.iter().enumerate() {
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => open.push(i),
            Token::RParen | Token::RBracket | Token::RBrace => {
                open.pop();
            }
            _ => {}
        }
    }
    let &paren = open.last()?;
    if tokens[paren].0 != Token::LParen || paren == 0 {
        return None;
    }
    Some((tokens[paren - 1].1, &tokens[paren + 1..]))
}

/// Every built-in signature called `name` (`linear` is an activation and a data set).
fn signatures(name: &str) -> Vec<&'static Signature> {
    sig::FAMILIES
        .iter()
        .copied()
        .chain([sig::FUNCTIONS])
        .filter_map(|table| sig::find(table, name))
        .collect()
}

/// Inside `callee( … )`: after `(` or `,` the parameters not yet given, as `name=`
/// (and right after `(` the values of the first parameter, which may come bare);
/// after `name=` the values that parameter takes. `None` for a call of something
/// that is not a built-in (a network's own parameters are the user's).
fn argument_words(callee: &str, args: &[(Token, &str)]) -> Option<Vec<String>> {
    let signatures = signatures(callee);
    if signatures.is_empty() {
        return None;
    }
    let params = signatures.iter().flat_map(|s| s.params.iter());
    let depth_zero = top_level(args);
    match depth_zero.last() {
        None | Some((Token::Comma, _)) => {
            let given: Vec<&str> = depth_zero
                .windows(2)
                .filter(|pair| pair[1].0 == Token::Eq)
                .map(|pair| pair[0].1)
                .collect();
            let mut words: Vec<String> = params
                .clone()
                .filter(|p| !given.contains(&p.name))
                .map(|p| format!("{}=", p.name))
                .collect();
            if depth_zero.is_empty()
                && let Some(first) = signatures.iter().find_map(|s| s.params.first())
            {
                words.extend(value_words(callee, first).unwrap_or_default());
            }
            Some(words)
        }
        Some((Token::Eq, _)) => {
            let name = depth_zero.iter().rev().nth(1)?.1;
            let param = params.clone().find(|p| p.name == name)?;
            value_words(callee, param)
        }
        Some(_) => None,
    }
}

/// The tokens of an argument list outside any brackets nested in it.
fn top_level<'t, 's>(args: &'t [(Token<'s>, &'s str)]) -> Vec<&'t (Token<'s>, &'s str)> {
    let mut depth = 0usize;
    let mut outer = Vec::new();
    for token in args {
        match token.0 {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ if depth == 0 => outer.push(token),
            _ => {}
        }
    }
    outer
}

/// The values a parameter takes, when they are a short list of names.
fn value_words(callee: &str, param: &ParamSig) -> Option<Vec<String>> {
    match param.kind {
        sig::Kind::Choice(options) => Some(strings(options)),
        sig::Kind::Bool => Some(strings(&["true", "false"])),
        // `init(scheme)` re-initialises with an init scheme.
        sig::Kind::Any if RemedyName::named(callee) == Some(RemedyName::Init) => {
            Some(family_words(sig::INITS))
        }
        sig::Kind::Any
        | sig::Kind::Num
        | sig::Kind::Positive
        | sig::Kind::NonNegative
        | sig::Kind::PositiveOrInf
        | sig::Kind::Count
        | sig::Kind::Natural
        | sig::Kind::Str
        | sig::Kind::Pair
        | sig::Kind::List => None,
    }
}

/// After a setting of a run block (`show `, `optimizer `, `remedy clip_norm(1) + `):
/// what that setting takes, when it is a list of names.
fn setting_words(tokens: &[(Token, &str)]) -> Option<Vec<String>> {
    let mut end = tokens.len();
    loop {
        let (token, text) = tokens.get(end.checked_sub(1)?)?;
        match token {
            // One more item of a list: skip it (and its arguments) and look further.
            Token::Comma | Token::Plus => end = item_start(&tokens[..end - 1])?,
            _ => return setting_values(SettingName::named(text)?),
        }
    }
}

/// Where the item that ends `tokens` starts: a name, or a name and its `( … )`.
fn item_start(tokens: &[(Token, &str)]) -> Option<usize> {
    let mut i = tokens.len().checked_sub(1)?;
    if tokens[i].0 == Token::RParen {
        let mut depth = 0usize;
        loop {
            match tokens[i].0 {
                Token::RParen => depth += 1,
                Token::LParen => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            i = i.checked_sub(1)?;
        }
        i = i.checked_sub(1)?;
    }
    Some(i)
}

fn setting_values(setting: SettingName) -> Option<Vec<String>> {
    match setting {
        SettingName::Loss => Some(family_words(sig::LOSSES)),
        SettingName::Optimizer => Some(family_words(sig::OPTIMIZERS)),
        SettingName::Remedy => Some(family_words(sig::REMEDIES)),
        SettingName::Variant => {
            let mut words = family_words(sig::REMEDIES);
            words.push("baseline".into());
            Some(words)
        }
        SettingName::Show => Some(family_words(sig::SHOW)),
        SettingName::Diagnose => {
            let mut words = family_words(sig::DIAGNOSTICS);
            words.push("none".into());
            Some(words)
        }
        SettingName::OnNan => Some(strings(sig::ON_NAN)),
        SettingName::Precision => Some(strings(sig::PRECISIONS)),
        SettingName::Metric => Some(family_words(sig::METRICS)),
        // Numbers: any name declared with `let` may be one.
        SettingName::Steps
        | SettingName::Epochs
        | SettingName::Batch
        | SettingName::Every
        | SettingName::Seed => None,
    }
}

/// After `weight=` or `init=` the init schemes; after `bias=`, `none`.
fn attribute_value_words(tokens: &[(Token, &str)]) -> Option<Vec<String>> {
    let [.., (_, attribute), (Token::Eq, _)] = tokens else {
        return None;
    };
    let attribute = sig::LayerAttr::named(attribute)?;
    let in_layer = layer_tail(&tokens[..tokens.len() - 2]).is_some();
    match attribute {
        sig::LayerAttr::Weight | sig::LayerAttr::Init if in_layer => Some(family_words(sig::INITS)),
        sig::LayerAttr::Bias if in_layer => Some(strings(&["none"])),
        sig::LayerAttr::Weight
        | sig::LayerAttr::Init
        | sig::LayerAttr::Bias
        | sig::LayerAttr::Batchnorm
        | sig::LayerAttr::Layernorm => None,
    }
}

/// The tokens after `dense` when the cursor is in a layer line.
fn layer_tail<'t, 's>(tokens: &'t [(Token<'s>, &'s str)]) -> Option<&'t [(Token<'s>, &'s str)]> {
    let dense = tokens.iter().rposition(|(t, _)| *t == Token::Dense)?;
    let tail = &tokens[dense + 1..];
    let ends_layer = |t: &Token| matches!(t, Token::LBrace | Token::RBrace | Token::Semi);
    if tail.iter().any(|(t, _)| ends_layer(t)) {
        return None;
    }
    Some(tail)
}

/// In a layer: after `dense WIDTH ` the activations; after the activation (and its
/// arguments) the attributes not yet given.
fn layer_words(tokens: &[(Token, &str)]) -> Option<Vec<String>> {
    let tail = layer_tail(tokens)?;
    let outer = top_level(tail);
    match outer.as_slice() {
        [] => None,
        [_width] => Some(family_words(sig::ACTIVATIONS)),
        [_width, _activation, rest @ ..] => {
            let given: Vec<&str> = rest.iter().map(|(_, text)| *text).collect();
            let words = sig::LayerAttr::ALL
                .iter()
                .filter(|a| !given.contains(&a.name()))
                .map(|a| attribute_word(*a))
                .collect();
            Some(words)
        }
    }
}

/// An attribute as it is written: `init=` takes a value, `batchnorm` stands alone.
fn attribute_word(attribute: sig::LayerAttr) -> String {
    match attribute {
        sig::LayerAttr::Weight | sig::LayerAttr::Bias | sig::LayerAttr::Init => {
            format!("{}=", attribute.name())
        }
        sig::LayerAttr::Batchnorm | sig::LayerAttr::Layernorm => attribute.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(line: &str) -> Vec<String> {
        let declared = vec!["chain".to_string(), "width".to_string()];
        complete_words(line, line.len(), &declared).1
    }

    #[test]
    fn names_and_commands_complete_anywhere() {
        let declared = vec!["chain".to_string()];
        let (start, words) = complete_words("dense 4 leaky_r", 15, &declared);
        assert_eq!(start, 8);
        assert_eq!(words, ["leaky_relu"]);
        let (_, words) = complete_words("train ch", 8, &declared);
        assert_eq!(words, ["chain"]);
        let (start, words) = complete_words(":he", 3, &declared);
        assert_eq!((start, words), (0, vec![":help".to_string()]));
        let (_, words) = complete_words("optimizer ad", 12, &declared);
        assert_eq!(words, ["adam"]);
        let (_, words) = complete_words(":show c", 7, &declared);
        assert_eq!(words, ["chain"]);
        let (_, words) = complete_words(":he lea", 7, &declared);
        assert_eq!(words, ["leaky_relu"]);
        let (_, words) = complete_words(":sa", 3, &declared);
        assert_eq!(words, [":save", ":save!"]);
    }

    #[test]
    fn a_call_offers_its_parameters() {
        assert_eq!(
            offered("optimizer sgd("),
            ["lr=", "momentum=", "nesterov=", "weight_decay="]
        );
        assert_eq!(offered("optimizer sgd(lr=0.1, m"), ["momentum="]);
        assert_eq!(
            offered("optimizer sgd(lr=0.1, "),
            ["momentum=", "nesterov=", "weight_decay="]
        );
        assert_eq!(
            offered("optimizer sgd(lr=0.1, nesterov="),
            ["false", "true"]
        );
        assert_eq!(offered("remedy clip_norm(1, scope=p"), ["per_layer"]);
        assert_eq!(offered("let d = spiral(n=[1, 2], c"), ["classes="]);
    }

    #[test]
    fn a_call_offers_the_values_of_its_first_parameter() {
        assert_eq!(
            offered("init=he_normal("),
            ["fan_in", "fan_out", "mode=", "nonlinearity="]
        );
        assert!(offered("remedy init(").contains(&"xavier_uniform".to_string()));
        assert!(offered("remedy init(").contains(&"scheme=".to_string()));
    }

    #[test]
    fn a_setting_offers_what_it_takes() {
        assert_eq!(
            offered("show "),
            ["gradients", "heatmap", "loss", "none", "weights"]
        );
        assert_eq!(offered("show gradients, w"), ["weights"]);
        assert_eq!(offered("train n on d { steps 10 show l"), ["loss"]);
        assert_eq!(offered("loss "), ["bce", "cross_entropy", "mae", "mse"]);
        assert_eq!(offered("optimizer "), ["adam", "rmsprop", "sgd"]);
        assert_eq!(
            offered("remedy clip_norm(max=1) + w"),
            ["warmup", "weight_decay"]
        );
        assert_eq!(offered("variant b"), ["baseline", "batchnorm"]);
        assert_eq!(offered("on_nan "), ["continue", "stop"]);
        assert_eq!(offered("precision "), ["f32", "f64"]);
        // A number: every name, since a `let` may hold it.
        assert!(offered("steps w").contains(&"width".to_string()));
    }

    #[test]
    fn a_layer_offers_activations_then_attributes() {
        assert_eq!(
            offered("dense 8 "),
            [
                "elu",
                "gelu",
                "leaky_relu",
                "linear",
                "relu",
                "sigmoid",
                "softplus",
                "tanh"
            ]
        );
        assert_eq!(offered("  repeat 4 { dense width t"), ["tanh"]);
        assert_eq!(
            offered("dense 8 relu "),
            ["batchnorm", "bias=", "init=", "layernorm", "weight="]
        );
        assert_eq!(
            offered("dense 8 leaky_relu(slope=0.1) init=he_normal b"),
            ["batchnorm", "bias="]
        );
        assert_eq!(offered("dense 8 relu init=xavier_n"), ["xavier_normal"]);
        assert_eq!(offered("dense 8 relu bias="), ["none"]);
        // After the layer, any word again.
        assert!(offered("dense 8 relu } tr").contains(&"train".to_string()));
    }

    /// `as`, `from`, `save` and `to` are names to the lexer, words to a person typing.
    #[test]
    fn the_words_of_trained_networks_complete() {
        assert_eq!(offered("sav"), ["save"]);
        assert_eq!(offered("save chain t"), ["tanh", "to", "train", "true"]);
        assert!(offered("train chain on d a").contains(&"as".to_string()));
        assert!(offered("network fitted fr").contains(&"from".to_string()));
    }
}
