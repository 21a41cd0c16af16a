//! Runs the PyTorch reference fixtures in `tests/reference/fixtures` through gradlab
//! *scripts*, the way a user would: each fixture becomes the text of a script, which is
//! checked (`Mode::Check`, no diagnostics) and run in-process through a `Session` with a
//! `JsonReporter`, and the JSON Lines it prints are compared with what torch computed.
//! `tests/pytorch_fixtures.rs` checks the same cases through the engine API; this test
//! checks the whole front end on top of it (lexer and number literals, parser, checker,
//! `forward`, `train` settings, JSON report).
//!
//! The script of a fixture (see `script_of`, and `relu_mse_sgd_script_text` /
//! `schema2_script_text` for whole ones) has `precision f64` for f64 cases, a `network`
//! with one `dense WIDTH ACTIVATION [batchnorm | layernorm] weight=[[…]] bias=[…]` (or
//! `bias=none`) line per layer, the fixture's skip connections as (possibly nested)
//! `residual { … }` blocks around the layers they skip over, a `data` block with the rows,
//! `print forward(model, x)` before training, and a `train` block with the loss, the
//! optimizer with every hyper-parameter written out, `steps N+1`, the fixture's remedies
//! (`remedy clip_norm(…), clip_value(…), weight_decay(…), warmup(…), …`, schedules in the
//! fixture's order), `show gradients, weights`, `on_nan continue` and `diagnose none`.
//! Numbers are written with Rust's `{:?}` (shortest round-trip form), so the script carries
//! the exact values of the fixture. A cosine schedule is written `cosine(steps=T_MAX)`:
//! plain `cosine` decays over the whole run, which is `steps + 1` here, one more than
//! torch's `T_max`.
//!
//! Compared, with the tolerance rule and the comparisons of `tests/support/fixtures.rs`
//! (the same as `tests/pytorch_fixtures.rs`):
//!
//! * the `print` event's `value`                           vs `expected.output_before`
//! * step event k (1..=steps): `loss`, `grad_norm`, per layer `weights` (before the update),
//!   `grad_weights`, `grad_bias_norm`                       vs `expected.steps[k-1]`;
//!   schema 2 also `lr` and `clipped_norm`
//! * step event k+1: per layer `weights` vs `expected.steps[k-1].weights_after`, and its
//!   loss (step `steps + 1`) vs `expected.final.loss`.
//!
//! Not observable from a script, so checked only by `tests/pytorch_fixtures.rs`: bias
//! values (step events carry the bias-gradient norm only), the output of the trained net (a
//! `network` declaration is not changed by training), and everything of a normalisation:
//! γ and β, their gradients, and batchnorm's running statistics (step events report neither;
//! running statistics show only indirectly, in no script-visible value since `forward` is
//! printed before training).
//!
//! `GRADLAB_FIXTURE=name` restricts the run to the fixtures whose name contains `name`;
//! `GRADLAB_SHOW_SCRIPT=1` also prints each generated script.

mod support;

use std::fmt::Write as _;

use gradlab::report::json::JsonReporter;
use gradlab::session::{EvalStatus, Mode, Redeclare, Session};
use serde_json::Value;
use support::fixtures::{
    Checker, Fixture, FixtureActivation, GotLayer, GotStep, NormKind, check_all_fixtures,
};

// ------------------------------------------------------------------------------------------
// fixture -> script text

/// The network's and the data set's names in the generated scripts.
const NET: &str = "model";
const DATA: &str = "samples";

/// A number as the script writes it: the shortest text that reads back to the same f64.
/// Negative numbers are written with a unary minus, which the language evaluates exactly.
fn num(x: f64) -> String {
    assert!(x.is_finite(), "fixture inputs are finite, found {x}");
    format!("{x:?}")
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|&x| num(x)).collect();
    format!("[{}]", items.join(", "))
}

fn rows(m: &[Vec<f64>]) -> String {
    let items: Vec<String> = m.iter().map(|r| list(r)).collect();
    format!("[{}]", items.join(", "))
}

fn activation(a: &FixtureActivation) -> Result<String, String> {
    Ok(match a.name.as_str() {
        "leaky_relu" => format!(
            "leaky_relu(slope={})",
            num(a.slope.ok_or("leaky_relu without slope")?)
        ),
        "elu" => format!("elu(alpha={})", num(a.alpha.ok_or("elu without alpha")?)),
        "softplus" => {
            // gradlab's `softplus` takes no beta/threshold: a fixture with others cannot be
            // written as a script (none of the current fixtures has them).
            a.check_softplus_defaults()?;
            "softplus".into()
        }
        name @ ("relu" | "gelu" | "sigmoid" | "tanh" | "linear") => name.into(),
        other => return Err(format!("unknown activation {other:?}")),
    })
}

fn optimizer(f: &Fixture) -> Result<String, String> {
    let o = &f.optimizer;
    Ok(match o.name.as_str() {
        "sgd" => format!(
            "sgd(lr={}, momentum={}, nesterov={}, weight_decay={})",
            num(o.lr),
            num(o.momentum),
            o.nesterov,
            num(o.weight_decay)
        ),
        "adam" => format!(
            "adam(lr={}, betas=({}, {}), eps={}, weight_decay={})",
            num(o.lr),
            num(o.need(o.beta1, "beta1")?),
            num(o.need(o.beta2, "beta2")?),
            num(o.need(o.eps, "eps")?),
            num(o.weight_decay)
        ),
        "rmsprop" => format!(
            "rmsprop(lr={}, alpha={}, eps={}, weight_decay={})",
            num(o.lr),
            num(o.need(o.alpha, "alpha")?),
            num(o.need(o.eps, "eps")?),
            num(o.weight_decay)
        ),
        n => return Err(format!("unknown optimizer {n:?}")),
    })
}

/// The `dense …` line of layer `i`, without indentation.
fn dense(f: &Fixture, i: usize) -> Result<String, String> {
    let l = &f.layers[i];
    let norm = match l.norm_kind()? {
        None => "",
        Some(NormKind::BatchNorm) => " batchnorm",
        Some(NormKind::LayerNorm) => " layernorm",
    };
    let bias = match &l.bias {
        Some(b) => list(b),
        None => "none".into(),
    };
    Ok(format!(
        "dense {} {}{norm} weight={} bias={bias}",
        l.width,
        activation(&l.activation)?,
        rows(&l.weight)
    ))
}

/// The network body: one `dense` line per layer, inside `residual { … }` blocks for the
/// fixture's skip connections. A block around layers `first..=last` is the skip
/// `[first, last]` (`src/check/network.rs`); blocks must nest, and the checker records
/// them in the order they close (inner before outer, earlier before later), which must be
/// the fixture's order: several skips ending at one layer are added in that order.
fn network_body(f: &Fixture) -> Result<String, String> {
    let n = f.layers.len();
    let res = &f.residuals;
    for (k, &[first, last]) in res.iter().enumerate() {
        if first > last || last >= n {
            return Err(format!("residual [{first}, {last}] outside the {n} layers"));
        }
        if res[..k].contains(&[first, last]) {
            return Err(format!("residual [{first}, {last}] given twice"));
        }
        // Two blocks either nest or are disjoint.
        for &[a, b] in &res[..k] {
            let disjoint = b < first || last < a;
            let nested = (a <= first && last <= b) || (first <= a && b <= last);
            if !disjoint && !nested {
                return Err(format!(
                    "residuals [{a}, {b}] and [{first}, {last}] overlap without nesting: \
                     not expressible as residual blocks"
                ));
            }
        }
    }
    let mut s = String::new();
    let mut depth = 1;
    let mut closed = Vec::new();
    for i in 0..n {
        // Blocks starting here, outermost (ending last) first.
        let mut opening: Vec<[usize; 2]> = res.iter().copied().filter(|r| r[0] == i).collect();
        opening.sort_by(|x, y| y[1].cmp(&x[1]));
        for _ in &opening {
            let _ = writeln!(s, "{}residual {{", "    ".repeat(depth));
            depth += 1;
        }
        let _ = writeln!(s, "{}{}", "    ".repeat(depth), dense(f, i)?);
        // Blocks ending here, innermost (starting last) first.
        let mut closing: Vec<[usize; 2]> = res.iter().copied().filter(|r| r[1] == i).collect();
        closing.sort_by(|x, y| y[0].cmp(&x[0]));
        for r in closing {
            depth -= 1;
            let _ = writeln!(s, "{}}}", "    ".repeat(depth));
            closed.push(r);
        }
    }
    if closed != *res {
        return Err(format!(
            "residual blocks record their skips as {closed:?}, the fixture adds them as {res:?}"
        ));
    }
    Ok(s)
}

/// The `remedy …` line of the train block, if the fixture has remedies: clipping, weight
/// decay, then the schedules in the fixture's order (their factors multiply, in that order).
/// Parameters at their default (`norm=2`, `scope=global`) are left out, as a user would.
fn remedies(f: &Fixture) -> Result<Option<String>, String> {
    let r = &f.remedies;
    let mut out = Vec::new();
    if let Some(c) = &r.clip_norm {
        let mut args = vec![num(c.max)];
        let p = c.norm.get();
        if p == f64::INFINITY {
            args.push("norm=inf".into());
        } else if p != 2.0 {
            args.push(format!("norm={}", num(p)));
        }
        match c.scope.as_str() {
            "global" => {}
            "per_layer" => args.push("scope=per_layer".into()),
            sc => return Err(format!("unknown clip scope {sc:?}")),
        }
        out.push(format!("clip_norm({})", args.join(", ")));
    }
    if let Some(c) = r.clip_value {
        out.push(format!("clip_value({})", num(c)));
    }
    if let Some(wd) = r.weight_decay {
        out.push(format!("weight_decay({})", num(wd)));
    }
    for s in &r.schedules {
        out.push(match s.name.as_str() {
            "warmup" => format!("warmup({})", s.need(s.steps, "steps")?),
            "step_decay" => format!(
                "step_decay({}, {})",
                s.need(s.every, "every")?,
                num(s.factor.ok_or("step_decay without factor")?)
            ),
            // Plain `cosine` would decay over this run's steps + 1 steps.
            "cosine" => format!("cosine(steps={})", s.need(s.t_max, "t_max")?),
            n => return Err(format!("unknown schedule {n:?}")),
        });
    }
    Ok((!out.is_empty()).then(|| out.join(", ")))
}

/// The gradlab script that runs fixture `f` for `steps + 1` steps (the record of the extra
/// step carries the parameters after the last fixture step, and the final loss).
fn script_of(f: &Fixture) -> Result<String, String> {
    let loss = match f.loss.as_str() {
        l @ ("mse" | "mae" | "bce" | "cross_entropy") => l,
        l => return Err(format!("unknown loss {l:?}")),
    };
    let mut s = String::new();
    for line in f.description.lines() {
        let _ = writeln!(s, "# {line}");
    }
    match f.precision.as_str() {
        "f32" => {}
        "f64" => s.push_str("precision f64\n"),
        p => return Err(format!("unknown precision {p:?}")),
    }
    let _ = write!(
        s,
        "\nnetwork {NET} {{\n    input {}\n{}",
        f.input,
        network_body(f)?
    );
    let _ = write!(
        s,
        "}}\n\ndata {DATA} {{\n    x = {}\n    y = {}\n}}\n\n",
        rows(&f.data.x),
        rows(&f.data.y)
    );
    let _ = writeln!(s, "print forward({NET}, {})\n", rows(&f.data.x));
    let _ = write!(
        s,
        "train {NET} on {DATA} {{\n    loss {loss}\n    optimizer {}\n    steps {}\n",
        optimizer(f)?,
        f.steps + 1
    );
    if let Some(r) = remedies(f)? {
        let _ = writeln!(s, "    remedy {r}");
    }
    s.push_str("    show gradients, weights\n    on_nan continue\n    diagnose none\n}\n");
    Ok(s)
}

// ------------------------------------------------------------------------------------------
// running a script

/// Evaluates `text` in a fresh session; returns its status and the JSON Lines it printed.
fn eval(name: &str, text: &str, mode: Mode) -> (EvalStatus, Vec<Value>, String) {
    let mut buffer: Vec<u8> = Vec::new();
    let status = {
        let mut reporter = JsonReporter { out: &mut buffer };
        let mut session = Session::new(Redeclare::Error);
        session.eval(name, text, mode, &mut reporter)
    };
    let out = String::from_utf8(buffer).expect("the JSON reporter writes UTF-8");
    let events = out
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON line {line:?}: {e}"))
        })
        .collect();
    (status, events, out)
}

/// A JSON number, or one of the strings "inf", "-inf", "nan" the report writes for
/// non-finite values.
fn number(v: &Value, what: &str) -> Result<f64, String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("{what}: {n} is not an f64")),
        Value::String(s) => match s.as_str() {
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            "nan" => Ok(f64::NAN),
            _ => Err(format!("{what}: unexpected string {s:?}")),
        },
        other => Err(format!("{what}: expected a number, found {other}")),
    }
}

fn matrix(v: &Value, what: &str) -> Result<Vec<Vec<f64>>, String> {
    let Value::Array(rows) = v else {
        return Err(format!("{what}: expected a matrix, found {v}"));
    };
    rows.iter()
        .map(|row| match row {
            Value::Array(cells) => cells.iter().map(|c| number(c, what)).collect(),
            other => Err(format!("{what}: expected a row, found {other}")),
        })
        .collect()
}

fn step_of(e: &Value) -> Result<GotStep, String> {
    let step = e["step"]
        .as_u64()
        .ok_or_else(|| format!("step event without a step number: {e}"))? as usize;
    let what = |field: &str| format!("step {step} {field}");
    let Value::Array(layers) = &e["layers"] else {
        return Err(format!("step {step}: no layers: {e}"));
    };
    let layers = layers
        .iter()
        .map(|l| {
            let n = &l["layer"];
            Ok(GotLayer {
                weights: match &l["weights"] {
                    Value::Null => None,
                    w => Some(matrix(w, &what(&format!("layer {n} weights")))?),
                },
                grad_weights: match &l["grad_weights"] {
                    Value::Null => None,
                    g => Some(matrix(g, &what(&format!("layer {n} grad_weights")))?),
                },
                grad_bias_norm: match &l["grad_bias_norm"] {
                    Value::Null => None,
                    g => Some(number(g, &what(&format!("layer {n} grad_bias_norm")))?),
                },
                // not in the report: compared by `tests/pytorch_fixtures.rs` only
                grad_affine_norm: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(GotStep {
        step,
        loss: number(&e["loss"], &what("loss"))?,
        grad_norm: number(&e["grad_norm"], &what("grad_norm"))?,
        clipped_norm: match &e["clipped_norm"] {
            Value::Null => None,
            v => Some(number(v, &what("clipped_norm"))?),
        },
        lr: number(&e["lr"], &what("lr"))?,
        layers,
    })
}

// ------------------------------------------------------------------------------------------
// one fixture

fn check_fixture(f: &Fixture) -> (Vec<String>, usize, f64) {
    let mut c = Checker::new(f, "script");
    let text = match script_of(f) {
        Ok(t) => t,
        Err(e) => {
            c.problem(format!("cannot write the fixture as a script: {e}"));
            return c.finish();
        }
    };
    if std::env::var_os("GRADLAB_SHOW_SCRIPT").is_some() {
        eprintln!("---- {}.grad\n{text}----", f.name);
    }
    let file = format!("{}.grad", f.name);

    // `gradlab check` accepts it, silently.
    let (status, _, out) = eval(&file, &text, Mode::Check);
    if status != EvalStatus::Ok || !out.is_empty() {
        c.problem(format!(
            "Mode::Check: {status:?}, output:\n{out}\nscript:\n{text}"
        ));
        return c.finish();
    }

    // `gradlab run --json`
    let (status, events, out) = eval(&file, &text, Mode::Run);
    if status != EvalStatus::Ok {
        c.problem(format!("Mode::Run: {status:?}, output:\n{out}"));
        return c.finish();
    }
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or("?"))
        .collect();
    let expected_kinds: Vec<&str> = ["print", "run"]
        .into_iter()
        .chain(std::iter::repeat_n("step", f.steps + 1))
        .chain(["run_end"])
        .collect();
    if kinds != expected_kinds {
        c.problem(format!("events {kinds:?}, expected {expected_kinds:?}"));
    }

    // the forward output before training
    match events.iter().find(|e| e["event"] == "print") {
        Some(e) => match matrix(&e["value"], "print value") {
            Ok(out) => support::fixtures::check_output(
                &mut c,
                "output before training",
                &out,
                &f.expected.output_before,
            ),
            Err(e) => c.problem(e),
        },
        None => c.problem("no print event".into()),
    }

    // the step records of a run of steps + 1 steps
    let mut got = Vec::new();
    for e in events.iter().filter(|e| e["event"] == "step") {
        match step_of(e) {
            Ok(s) => got.push(s),
            Err(e) => c.problem(e),
        }
    }
    support::fixtures::check_steps(&mut c, f, &got);

    if let Some(end) = events.iter().find(|e| e["event"] == "run_end") {
        let steps = end["steps"].as_u64();
        if steps != Some(f.steps as u64 + 1) || end["stop_reason"] != "completed" {
            c.problem(format!(
                "run_end: {end}, expected {} completed steps",
                f.steps + 1
            ));
        }
    }
    c.finish()
}

#[test]
fn pytorch_reference_fixtures_as_scripts() {
    check_all_fixtures("gradlab scripts", check_fixture);
}

fn fixture(name: &str) -> Fixture {
    let path = support::fixtures::fixture_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The generated script is what a user would write.
#[test]
fn relu_mse_sgd_script_text() {
    let text = script_of(&fixture("relu_mse_sgd")).unwrap();
    let want = "\
# 2-3-1 relu/linear with bias, MSE, plain SGD lr 0.1 (hand-written weights; one hidden unit negative on some rows)

network model {
    input 2
    dense 3 relu weight=[[0.5, -0.3], [-0.8, 0.6], [0.2, 0.9]] bias=[0.1, -0.2, 0.05]
    dense 1 linear weight=[[0.7, -0.4, 0.3]] bias=[0.2]
}

data samples {
    x = [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]]
    y = [[1.0], [0.5], [-0.5], [2.0]]
}

print forward(model, [[0.5, -1.2], [1.5, 0.3], [-0.7, 0.8], [0.2, 2.0]])

train model on samples {
    loss mse
    optimizer sgd(lr=0.1, momentum=0.0, nesterov=false, weight_decay=0.0)
    steps 4
    show gradients, weights
    on_nan continue
    diagnose none
}
";
    assert_eq!(text, want);
}

/// f64, a layer without bias, activation arguments, Adam and RMSprop hyper-parameters.
#[test]
fn script_text_details() {
    let text = script_of(&fixture("f64_tanh_leaky_mse_adam_betas")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "precision f64", "{text}");
    assert!(lines[5].starts_with("    dense 6 tanh weight=[["), "{text}");
    assert!(lines[5].ends_with("]] bias=none"), "{text}");
    assert!(lines[6].starts_with("    dense 4 leaky_relu(slope=0.1) weight="));
    assert!(
        lines
            .contains(&"    optimizer adam(lr=0.02, betas=(0.5, 0.9), eps=1e-8, weight_decay=0.0)")
    );

    let text = script_of(&fixture("rmsprop_custom_cross_entropy")).unwrap();
    assert!(!text.contains("precision"), "{text}");
    assert!(text.contains("\n    loss cross_entropy\n"), "{text}");
    assert!(
        text.contains(
            "\n    optimizer rmsprop(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.01)\n"
        )
    );
    assert!(text.contains(" softplus weight="), "{text}");

    let text = script_of(&fixture("bce_sgd_nesterov_weight_decay")).unwrap();
    assert!(text.contains(" elu(alpha=1.0) weight="), "{text}");
    assert!(text.contains("sgd(lr=0.1, momentum=0.9, nesterov=true, weight_decay=0.01)"));
}

/// Schema 2: nested residual blocks in the fixture's order, norm flags, remedies.
#[test]
fn schema2_script_text() {
    let text = script_of(&fixture("residual_relu_adam_weight_decay")).unwrap();
    let shape: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("network"))
        .take_while(|l| *l != "}")
        .map(|l| match l.find(" weight=") {
            Some(i) => l[..i].to_string(),
            None => l.to_string(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "network model {",
            "    input 3",
            "    residual {",
            "        dense 3 relu",
            "        residual {",
            "            dense 3 relu",
            "            dense 3 relu",
            "        }",
            "    }",
            "    dense 1 linear",
        ],
        "{text}"
    );
    assert!(text.contains("\n    steps 6\n    remedy weight_decay(0.03)\n    show "));

    let text = script_of(&fixture("residual_tanh_sgd_weight_decay")).unwrap();
    let blocks: Vec<&str> = text
        .lines()
        .filter(|l| l.trim() == "residual {" || l.starts_with("    }"))
        .collect();
    assert_eq!(
        blocks,
        ["    residual {", "    }", "    residual {", "    }"]
    );

    let text = script_of(&fixture("batchnorm_residual_clip_value_adam")).unwrap();
    assert!(
        text.contains("        dense 3 tanh batchnorm weight=[["),
        "{text}"
    );
    assert!(text.contains("\n    remedy clip_value(0.2)\n"), "{text}");
    let text = script_of(&fixture("f64_layernorm_residual_rmsprop")).unwrap();
    assert!(
        text.contains("        dense 3 tanh layernorm weight=[["),
        "{text}"
    );
    assert!(
        text.contains("        dense 3 softplus layernorm weight=[["),
        "{text}"
    );

    for (name, remedy) in [
        (
            "batchnorm_relu_no_bias_momentum_clip_norm",
            "clip_norm(0.5)",
        ),
        ("clip_norm_per_layer_sgd", "clip_norm(0.3, scope=per_layer)"),
        ("clip_norm_inf_adam", "clip_norm(0.05, norm=inf)"),
        (
            "f64_clip_norm_global_momentum_weight_decay",
            "clip_norm(1.0), weight_decay(0.02)",
        ),
        ("warmup_sgd", "warmup(4)"),
        ("step_decay_sgd_momentum", "step_decay(2, 0.5)"),
        // T_max 6 of a 6-step fixture: the script runs 7 steps, so plain `cosine` is wrong
        ("cosine_adam", "cosine(steps=6)"),
        (
            "f64_warmup_cosine_step_decay_sgd",
            "warmup(3), cosine(steps=8), step_decay(3, 0.7)",
        ),
    ] {
        let text = script_of(&fixture(name)).unwrap();
        assert!(
            text.contains(&format!("\n    remedy {remedy}\n")),
            "{name}: {text}"
        );
    }
}

/// Skip connections that cannot be written as nested blocks, or in an order the checker
/// would not record, are refused rather than silently changed.
#[test]
fn residuals_that_are_not_blocks() {
    let mut f = fixture("residual_relu_adam_weight_decay");
    f.residuals = vec![[0, 2], [1, 2]];
    let e = script_of(&f).unwrap_err();
    assert!(
        e.contains("the fixture adds them as [[0, 2], [1, 2]]"),
        "{e}"
    );
    f.residuals = vec![[0, 1], [1, 2]];
    let e = script_of(&f).unwrap_err();
    assert!(e.contains("overlap without nesting"), "{e}");
}
