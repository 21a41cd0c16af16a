//! Every name of every built-in table is built through the checker, twice: with its
//! defaults, and with every parameter written out. A misspelt parameter in a builder
//! is an internal error, and two names that build the same thing (a catch-all arm)
//! fail unless they are documented aliases.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::env::Env;
use super::plan::RunPlan;
use super::{Plan, Redeclare, check};
use crate::signature::{
    self as sig, ACTIVATIONS, Choice, DIAGNOSTICS, FUNCTIONS, Fallback, INITS, Kind, LOSSES,
    METRICS, OPTIMIZERS, REMEDIES, SHOW, Signature,
};

/// Names that build the same thing on purpose.
const ALIASES: &[(&str, &str)] = &[
    ("he_uniform", "kaiming_uniform"),
    ("he_normal", "kaiming_normal"),
];

const PRELUDE: &str = "
network n(depth = 2) {
    input 2
    repeat depth { dense 3 relu }
    dense 2 linear
}
data d { x = [[0, 1], [1, 0]] y = [[1, 0], [0, 1]] }
data classes { x = [[0, 1], [1, 0]] y = [[0], [1]] }
";

/// A folder with `rows.csv` in it, written once for all tests.
fn csv_folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("gradlab-builtins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        std::fs::write(dir.join("rows.csv"), "a,b\n1,0\n0,1\n").expect("rows.csv");
        std::fs::write(dir.join("numbers.csv"), "1,0\n0,1\n1,1\n").expect("numbers.csv");
        dir
    })
}

/// How many rows `csv(ARGS)` reads, as the data of a run.
fn csv_rows(args: &str) -> usize {
    let plan = run_plan(&format!(
        "network one {{ input 1 dense 1 linear }}\ndata c = csv({args})\ntrain one on c {{ steps 1 }}"
    ));
    plan.data.set.n
}

#[test]
fn csv_reads_a_header_only_where_the_rule_says() {
    // Without `header`: a row of names is a header, a row of numbers is data.
    assert_eq!(csv_rows(r#""rows.csv", x=[0], y=["b"]"#), 2);
    assert_eq!(csv_rows(r#""numbers.csv", x=[0], y=[1]"#), 3);
    // Said outright, the first row is dropped or kept whatever it holds.
    assert_eq!(csv_rows(r#""numbers.csv", x=[0], y=[1], header=true"#), 2);
    assert_eq!(csv_rows(r#""numbers.csv", x=[0], y=[1], header=false"#), 3);
    assert_eq!(csv_rows(r#""rows.csv", x=[0], y=["b"], header=true"#), 2);
}

/// Checks `PRELUDE` and then `script`, returning the last item's plan.
fn last_plan(script: &str) -> Plan {
    let mut env = Env::default();
    env.base_dir = csv_folder().to_path_buf();
    let text = format!("{PRELUDE}\n{script}\n");
    let parsed = crate::syntax::parse(&text, 0);
    assert!(
        parsed.diagnostics.is_empty(),
        "{script}: {:?}",
        parsed.diagnostics
    );
    let program = parsed.program.expect("a program");
    let checked = check(&program, &mut env, Redeclare::Error);
    let messages: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| format!("{}: {:?}", d.message, d.notes))
        .collect();
    assert!(messages.is_empty(), "{script}:\n{}", messages.join("\n"));
    checked.plans.into_iter().last().expect("a plan")
}

fn run_plan(script: &str) -> RunPlan {
    match last_plan(script) {
        Plan::Run(plan) => *plan,
        other => panic!("{script}: not a run: {other:?}"),
    }
}

/// A value for parameter `index` of `signature`, unlike its default where it has one.
fn argument(signature: &Signature, index: usize) -> String {
    let param = &signature.params[index];
    match (signature.name, param.name, param.kind) {
        (_, "net", _) => "n".into(),
        (_, "scheme", _) => "he_normal".into(),
        ("forward", "x", _) => "[1, 0]".into(),
        ("csv", "x", _) => "[0]".into(),
        ("csv", "y", _) => "[\"b\"]".into(),
        (_, _, Kind::Num | Kind::Positive | Kind::NonNegative) => {
            format!("{}", 0.5 + 0.25 * index as f64)
        }
        (_, _, Kind::PositiveOrInf) => "inf".into(),
        (_, _, Kind::Count | Kind::Natural) => format!("{}", 2 + index),
        (_, _, Kind::Bool) => "true".into(),
        (_, _, Kind::Choice(options)) => options.last().expect("options").to_string(),
        (_, _, Kind::Pair) => "(0.5, 0.75)".into(),
        (_, _, Kind::Str) => "\"rows.csv\"".into(),
        (_, _, kind) => panic!("no example for {kind:?} of `{}`", signature.name),
    }
}

/// The two ways every name is written: with only its required arguments, and with
/// every argument named.
fn calls(signature: &Signature) -> [String; 2] {
    let required: Vec<String> = (0..signature.params.len())
        .filter(|&i| signature.params[i].default == Fallback::Required)
        .map(|i| format!("{}={}", signature.params[i].name, argument(signature, i)))
        .collect();
    let all: Vec<String> = (0..signature.params.len())
        .map(|i| format!("{}={}", signature.params[i].name, argument(signature, i)))
        .collect();
    let call = |args: Vec<String>| {
        if args.is_empty() {
            signature.name.to_string()
        } else {
            format!("{}({})", signature.name, args.join(", "))
        }
    };
    [call(required), call(all)]
}

/// Builds every name of `table` with `build`, and checks that no two build the same.
fn builds_each<T: Debug>(table: &[Signature], build: impl Fn(&str, &str) -> T) {
    let mut built: BTreeMap<String, &str> = BTreeMap::new();
    for signature in table {
        let [short, full] = calls(signature);
        build(signature.name, &short);
        let key = format!("{:?}", build(signature.name, &full));
        if let Some(other) = built.insert(key.clone(), signature.name) {
            assert!(
                ALIASES.contains(&(other, signature.name)),
                "`{other}` and `{}` both build {key}",
                signature.name
            );
        }
    }
}

#[test]
fn every_activation_builds() {
    builds_each(ACTIVATIONS, |_, call| {
        let plan = run_plan(&format!(
            "network a {{ input 2\n dense 2 {call} }}\ntrain a on d {{ steps 1 }}"
        ));
        plan.net.spec.layers[0].activation
    });
}

#[test]
fn every_loss_builds() {
    builds_each(LOSSES, |name, call| {
        let data = if name == "cross_entropy" {
            "classes"
        } else {
            "d"
        };
        run_plan(&format!("train n on {data} {{ loss {call} }}")).loss
    });
}

#[test]
fn every_optimizer_builds() {
    builds_each(OPTIMIZERS, |_, call| {
        run_plan(&format!("train n on d {{ optimizer {call} }}")).optimizer
    });
}

#[test]
fn every_init_scheme_builds_the_same_on_a_layer_and_as_a_remedy() {
    builds_each(INITS, |_, call| {
        let layer = run_plan(&format!(
            "network a {{ input 2\n dense 2 linear init={call} }}\ntrain a on d {{ steps 1 }}"
        ));
        let remedy = run_plan(&format!(
            "network a {{ input 2\n dense 2 linear }}\ntrain a on d {{ remedy init({call}) }}"
        ));
        let weight = layer.net.spec.layers[0].weight.clone();
        assert_eq!(weight, remedy.net.spec.layers[0].weight, "{call}");
        weight
    });
}

#[test]
fn every_remedy_builds() {
    builds_each(REMEDIES, |_, call| {
        let plan = run_plan(&format!("train n on d {{ remedy {call} }}"));
        (plan.remedies, plan.net.spec)
    });
}

#[test]
fn every_show_option_builds() {
    builds_each(SHOW, |_, call| {
        run_plan(&format!("train n on d {{ show {call} }}")).show
    });
}

/// `show` and `every` fill one `ShowOptions`: `show` replaces what is printed, never
/// which steps, in whichever order the two are written.
#[test]
fn show_keeps_every_in_either_order() {
    for settings in ["every 5 show gradients", "show gradients every 5"] {
        let show = run_plan(&format!("train n on d {{ {settings} }}")).show;
        assert_eq!(show.every, Some(5), "{settings}");
        assert!(show.gradients && show.loss && !show.weights, "{settings}");
    }
}

#[test]
fn every_diagnostic_builds() {
    builds_each(DIAGNOSTICS, |_, call| {
        run_plan(&format!("train n on d {{ diagnose {call} }}")).thresholds
    });
}

#[test]
fn every_metric_builds() {
    builds_each(METRICS, |name, call| {
        match last_plan(&format!(
            "sweep n(depth in [1, 2]) on d {{ metric {call} }}"
        )) {
            Plan::Sweep(plan) => {
                assert_eq!(plan.metric.to_string(), name);
                plan.metric
            }
            other => panic!("not a sweep: {other:?}"),
        }
    });
}

#[test]
fn every_function_builds() {
    builds_each(FUNCTIONS, |_, call| {
        // A function is called even without arguments: `xor()`.
        let call = if call.contains('(') {
            call.to_string()
        } else {
            format!("{call}()")
        };
        match last_plan(&format!("print {call}")) {
            Plan::Print { value, .. } => format!("{value:?}"),
            other => panic!("not a print: {other:?}"),
        }
    });
}

#[test]
fn every_setting_is_accepted_where_it_belongs() {
    let samples = [
        ("train", "loss mae"),
        ("train", "optimizer adam"),
        ("train", "steps 2"),
        ("train", "epochs 2"),
        ("train", "batch 1"),
        ("train", "remedy clip_value(1)"),
        ("train", "show gradients"),
        ("train", "every 2"),
        ("train", "diagnose none"),
        ("train", "on_nan continue"),
        ("train", "seed 3"),
        ("train", "precision f64"),
        ("compare", "variant clip_value(1)"),
        ("sweep", "metric final_loss"),
    ];
    for setting in sig::SettingName::ALL {
        let (block, line) = samples
            .iter()
            .find(|(_, line)| line.split(' ').next() == Some(setting.name()))
            .unwrap_or_else(|| panic!("no sample for `{setting}`"));
        let head = if *block == "sweep" {
            "sweep n(depth in [1, 2])".to_string()
        } else {
            format!("{block} n")
        };
        let plan = last_plan(&format!("{head} on d {{ {line} }}"));
        assert!(matches!(plan, Plan::Run(_) | Plan::Sweep(_)), "{line}");
    }
}

#[test]
fn every_choice_names_itself() {
    fn round_trip<C: Choice + PartialEq + Debug>() {
        assert_eq!(C::NAMES.len(), C::ALL.len());
        for (choice, name) in C::ALL.iter().zip(C::NAMES) {
            assert_eq!(choice.name(), *name);
            assert_eq!(C::named(name), Some(*choice));
        }
    }
    round_trip::<sig::FanModeName>();
    round_trip::<sig::NonlinearityName>();
    round_trip::<sig::ClipScopeName>();
    round_trip::<sig::OnNan>();
    round_trip::<sig::PrecisionName>();
    round_trip::<sig::LayerAttr>();
}

#[test]
fn modules_import_one_way() {
    // The one cycle the language itself makes.
    const MUTUAL: &[(&str, &str)] = &[("eval", "network")];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/check");
    let mut imports: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/check") {
        let path = entry.expect("an entry").path();
        let module = path
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        if module == "tests" || module == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        // Only the code above the file's own tests.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut used: Vec<String> = code
            .split("super::")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
            })
            .map(|name| name.collect::<String>())
            .collect();
        used.sort();
        used.dedup();
        imports.insert(module, used);
    }
    assert!(imports.contains_key("run") && imports.contains_key("eval"));
    // Every module that `from` reaches by imports.
    let reach = |from: &str| {
        let mut seen: Vec<String> = Vec::new();
        let mut todo = vec![from.to_string()];
        while let Some(module) = todo.pop() {
            for next in imports.get(&module).into_iter().flatten() {
                if !seen.contains(next) {
                    seen.push(next.clone());
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    for (a, used) in &imports {
        for b in used {
            let pair = (a.as_str(), b.as_str());
            let allowed = MUTUAL.contains(&pair) || MUTUAL.contains(&(pair.1, pair.0));
            assert!(
                allowed || !reach(b).contains(a),
                "`{a}` imports `{b}`, which imports `{a}` back (through {:?})",
                reach(b)
            );
        }
    }
}

fn diagnostics_of(script: &str) -> Vec<crate::diagnostics::Diagnostic> {
    let parsed = crate::syntax::parse(script, 0);
    let program = parsed.program.expect("a program");
    check(&program, &mut Env::default(), Redeclare::Error).diagnostics
}

#[test]
fn echoes_of_a_failed_declaration_are_dropped_by_their_kind() {
    use crate::diagnostics::ErrorKind;
    let diagnostics = diagnostics_of("let a = nope\nprint a\nprint b\n");
    let kinds: Vec<ErrorKind> = diagnostics.into_iter().map(|d| d.kind).collect();
    // `a` failed to be declared, so "unknown name `a`" is an echo; `b` is not.
    assert_eq!(
        kinds,
        [
            ErrorKind::unknown_name_of("nope"),
            ErrorKind::unknown_name_of("b")
        ]
    );
}

#[test]
fn diagnostics_carry_their_kind_into_json() {
    let diagnostics = diagnostics_of(&format!(
        "{PRELUDE}\ntrain n on d {{ loss mes }}\nlet n = 1\ntrain n on d {{ batch 9 }}\n"
    ));
    let codes: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            let json = crate::report::json::diagnostic_json(d, &Default::default());
            json["code"].as_str().expect("a code").to_string()
        })
        .collect();
    assert_eq!(codes, ["unknown_builtin", "redeclared", "shape_mismatch"]);
}

/// The messages and severities `script` (after `PRELUDE`) is checked with.
fn reports_of(script: &str) -> Vec<(bool, String)> {
    diagnostics_of(&format!("{PRELUDE}\n{script}\n"))
        .into_iter()
        .map(|d| (d.is_error(), d.message))
        .collect()
}

#[test]
fn a_block_that_uses_a_failed_network_still_checks_its_settings() {
    let reports = reports_of(
        "network bad { input 2 dense 3 rleu }\ntrain bad on d { loss mes batch 0 }\nprint bad",
    );
    let messages: Vec<&str> = reports.iter().map(|(_, m)| m.as_str()).collect();
    // No "unknown name `bad`", from the block or from `print`.
    assert_eq!(
        messages,
        [
            "unknown activation `rleu`",
            "unknown loss `mes`",
            "`batch` must be a whole number ≥ 1, found 0"
        ]
    );
}

#[test]
fn every_bad_setting_of_a_sweep_is_reported() {
    let reports = reports_of("sweep n(depth in [1, 2]) on d { loss mes every 2 metric nope }");
    let messages: Vec<&str> = reports.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown loss `mes`",
            "`every` does nothing in `sweep`",
            "unknown metric `nope`"
        ]
    );
}

#[test]
fn a_warning_leaves_the_plan_in_place() {
    let script = format!("{PRELUDE}\nexplain n on d {{ steps 3 }}\n");
    let program = crate::syntax::parse(&script, 0).program.expect("a program");
    let checked = check(&program, &mut Env::default(), Redeclare::Error);
    let reports: Vec<(bool, &str)> = checked
        .diagnostics
        .iter()
        .map(|d| (d.is_error(), d.message.as_str()))
        .collect();
    assert_eq!(reports, [(false, "`steps` has no effect in `explain`")]);
    assert!(matches!(checked.plans.last(), Some(Plan::Run(_))));
}

#[test]
fn every_without_anything_shown_is_a_warning() {
    assert_eq!(
        reports_of("train n on d { show none every 5 }"),
        [(false, "`every` has no effect with `show none`".to_string())]
    );
    assert!(reports_of("train n on d { show loss every 5 }").is_empty());
}

#[test]
fn clip_norm_then_clip_value_is_the_order_that_runs() {
    assert!(reports_of("train n on d { remedy clip_norm(1), clip_value(1) }").is_empty());
    assert!(reports_of("train n on d { remedy clip_norm(1) + clip_value(1) }").is_empty());
    let reports = reports_of("train n on d { remedy clip_value(1) + clip_norm(1) }");
    assert_eq!(reports.len(), 1, "{reports:?}");
}

#[test]
fn a_builtin_without_parameters_says_so_before_its_arguments_are_evaluated() {
    for (script, message) in [
        (
            "train n on d { loss mse(reduction=sum) }",
            "loss `mse` takes no arguments, found 1",
        ),
        (
            "network m { input 2 dense 2 relu(nope) }",
            "activation `relu` takes no arguments, found 1",
        ),
        (
            "train n on d { remedy clip_norm(1) + batchnorm(nope) }",
            "built-in `batchnorm` takes no arguments, found 1",
        ),
    ] {
        assert_eq!(
            reports_of(script),
            [(true, message.to_string())],
            "{script}"
        );
    }
    // `linear` is also a data set, which takes a size.
    assert!(
        reports_of("train n on linear(4) { steps 1 }")
            .iter()
            .any(|(_, m)| m.contains("input column"))
    );
}

#[test]
fn labels_say_what_was_written() {
    let plan = run_plan(
        "network one { input 1 dense 1 linear }\ncompare one on linear(4) { steps 1 variant init(xavier_normal(gain=5/3)) }",
    );
    // The data set's arguments, and the variant's arithmetic as written.
    assert_eq!(plan.data.name, "linear(4)");
    assert_eq!(plan.variants[0].label, "init(xavier_normal(gain=5/3))");
}

/// The run header names the network as `compare` labels do: arithmetic as written,
/// a plain number as its value.
#[test]
fn network_arguments_read_as_written() {
    let plan = run_plan(
        "network g(gain = 1, width = 2) { input 1 dense width tanh init=xavier_normal(gain) dense 1 linear }\ntrain g(gain = 5/3, width = 3) on linear(4) { steps 1 }",
    );
    assert_eq!(plan.net_ref.label(), "g(gain=5/3, width=3)");
}

#[test]
fn every_bad_layer_whose_width_is_known_is_reported() {
    let reports = reports_of(
        "network m { input 2 dense 4 rleu repeat 50 { dense 4 tanh init=nromal } dense 1 relu(1) }",
    );
    let messages: Vec<&str> = reports.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "unknown activation `rleu`",
            "unknown init scheme `nromal`",
            "activation `relu` takes no arguments, found 1"
        ]
    );
}
