//! grammar.md stays true:
//!
//! * every ```grad block in it parses and checks with no diagnostics. Each block is
//!   checked on its own, on a fresh `Env`: blocks never build on earlier ones, so every
//!   example in the document is complete and can be copied alone;
//! * README.md's ```grad blocks, read in order as one session (later blocks use the
//!   names the tour declares), check with no diagnostics too;
//! * the tables of built-in names between `<!-- tables:begin -->` and
//!   `<!-- tables:end -->` are exactly what `src/signature.rs` says. When the
//!   signatures change, `BLESS=1 cargo test --test grammar` rewrites that section.

mod support;

use std::fmt::Write;
use std::path::Path;

use gradlab::check::{self, Redeclare, env::Env};
use gradlab::format::number as format_number;
use gradlab::signature::{self as sig, Fallback, Signature};
use gradlab::syntax;
use support::golden::assert_golden;

const BEGIN: &str = "<!-- tables:begin -->";
const END: &str = "<!-- tables:end -->";

fn grammar_md() -> String {
    std::fs::read_to_string(Path::new(support::ROOT).join("grammar.md")).expect("grammar.md")
}

/// The ```grad blocks of a Markdown text, with the line each starts on.
fn grad_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim_start().starts_with("```grad") => {
                current = Some((i + 2, String::new()));
            }
            Some(_) if line.trim_start().starts_with("```") => {
                blocks.extend(current.take());
            }
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "a ```grad block is never closed");
    blocks
}

/// The messages of every diagnostic `code` gets when parsed and checked against `env`.
fn problems_in(code: &str, env: &mut Env, redeclare: Redeclare) -> Vec<String> {
    let parsed = syntax::parse(code, 0);
    let mut problems: Vec<String> = parsed
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    if let Some(program) = parsed.program
        && problems.is_empty()
    {
        let checked = check::check(&program, env, redeclare);
        problems.extend(checked.diagnostics.iter().map(|d| d.message.clone()));
    }
    problems
}

#[test]
fn every_example_in_grammar_md_checks() {
    let text = grammar_md();
    let blocks = grad_blocks(&text);
    assert!(blocks.len() >= 10, "only {} ```grad blocks", blocks.len());
    let mut failures = Vec::new();
    for (line, code) in &blocks {
        let problems = problems_in(code, &mut Env::default(), Redeclare::Error);
        if !problems.is_empty() {
            failures.push(format!(
                "grammar.md:{line}: {}\n{code}",
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_examples_in_readme_check_as_one_session() {
    let path = Path::new(support::ROOT).join("README.md");
    let text = std::fs::read_to_string(path).expect("README.md");
    let blocks = grad_blocks(&text);
    assert!(blocks.len() >= 3, "only {} ```grad blocks", blocks.len());
    let mut env = Env::default();
    let mut failures = Vec::new();
    for (line, code) in &blocks {
        let problems = problems_in(code, &mut env, Redeclare::Replace);
        if !problems.is_empty() {
            failures.push(format!("README.md:{line}: {}\n{code}", problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn default_text(default: Fallback) -> String {
    match default {
        Fallback::Required => "required".into(),
        Fallback::Absent => "optional".into(),
        Fallback::Num(n) => format!("`{}`", format_number(n)),
        Fallback::Bool(b) => format!("`{b}`"),
        Fallback::Name(n) => format!("`{n}`"),
        Fallback::Pair(a, b) => format!("`({}, {})`", format_number(a), format_number(b)),
    }
}

fn table(out: &mut String, title: &str, rows: &[Signature]) {
    let _ = writeln!(out, "### {title}\n");
    let _ = writeln!(out, "| Name | Parameters (default) | Meaning |");
    let _ = writeln!(out, "|---|---|---|");
    for s in rows {
        let params: Vec<String> = s
            .params
            .iter()
            .map(|p| {
                format!(
                    "`{}` ({}): {}",
                    p.name,
                    default_text(p.default),
                    p.kind.describe()
                )
            })
            .collect();
        let params = if params.is_empty() {
            "none".to_string()
        } else {
            params.join("<br>")
        };
        let _ = writeln!(out, "| `{}` | {params} | {} |", s.name, s.summary);
    }
    out.push('\n');
}

/// The tables of built-in names, as grammar.md must show them.
fn tables() -> String {
    let mut out = String::new();
    table(&mut out, "Activations", sig::ACTIVATIONS);
    table(&mut out, "Losses", sig::LOSSES);
    table(&mut out, "Optimizers", sig::OPTIMIZERS);
    table(&mut out, "Init schemes", sig::INITS);
    table(&mut out, "Remedies", sig::REMEDIES);
    let _ = writeln!(out, "### Settings\n");
    let _ = writeln!(out, "| Setting | Meaning |");
    let _ = writeln!(out, "|---|---|");
    for (key, meaning) in sig::RUN_SETTINGS {
        let _ = writeln!(out, "| `{key}` | {meaning} |");
    }
    out.push('\n');
    table(&mut out, "`show` options", sig::SHOW);
    table(
        &mut out,
        "Diagnostics and their thresholds",
        sig::DIAGNOSTICS,
    );
    table(&mut out, "Sweep metrics", sig::METRICS);
    table(&mut out, "Functions", sig::FUNCTIONS);
    out
}

/// The whole of grammar.md is the golden file; only the tables section is generated,
/// so a mismatch's diff shows the rows that changed.
#[test]
fn tables_match_the_signatures() {
    let text = grammar_md();
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("grammar.md has no {BEGIN} … {END} section");
    };
    let wanted = format!("{}{BEGIN}\n\n{}{}", &text[..begin], tables(), &text[end..]);
    assert_golden("grammar.md", &wanted);
}
