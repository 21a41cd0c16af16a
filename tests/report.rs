//! `--report FILE.html` and `--plots DIR`: the page and the charts parse as XML, hold
//! the charts and series they should, label their axes (log scales as such), and fetch
//! nothing from outside. Every example can make a report.

mod support;

use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};
use support::ROOT;
use support::process::gradlab;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");

/// A fresh folder under the test temp folder.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(TMP).join("report").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    dir
}

/// Runs `script` with `--report` and `--plots` into `dir`; returns the page.
fn report(script: &str, dir: &Path) -> String {
    let page = dir.join("report.html");
    let out = gradlab(&["run", "--report"])
        .arg(&page)
        .arg("--plots")
        .arg(dir.join("plots"))
        .arg(Path::new(ROOT).join(script))
        .run();
    assert_ne!(out.code, Some(2), "{script}: {}", out.stderr);
    std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{script}: no report: {e}"))
}

/// The page (or an SVG) as XML; the page's `<!DOCTYPE html>` is a DTD to roxmltree.
fn parse(text: &str) -> Result<Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    Document::parse_with_options(text, options)
}

fn texts<'a>(node: Node<'a, 'a>) -> Vec<&'a str> {
    node.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect()
}

fn svgs<'a>(doc: &'a Document<'a>) -> Vec<Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("svg"))
        .collect()
}

/// No attribute names a URL (namespaces are not attributes) and no script has a source.
fn assert_self_contained(doc: &Document, what: &str) {
    for node in doc.descendants().filter(|n| n.is_element()) {
        for attribute in node.attributes() {
            assert!(
                !attribute.value().contains("://") && attribute.name() != "src",
                "{what}: <{} {}={:?}> reaches outside",
                node.tag_name().name(),
                attribute.name(),
                attribute.value()
            );
        }
    }
}

#[test]
fn the_seed_report_holds_every_chart_with_labelled_axes() {
    let dir = folder("seed");
    let page = report("examples/seed.grad", &dir);
    assert!(!page.contains("<script src"), "a script from outside");
    let doc = parse(&page).expect("the page parses as XML");
    assert_self_contained(&doc, "report");
    // Two train runs, each with its loss, heat map and gradient flow.
    let charts = svgs(&doc);
    assert_eq!(charts.len(), 6);
    let figures: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("figure"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    assert_eq!(
        figures,
        [
            "train-1-loss",
            "train-1-heatmap",
            "train-1-flow",
            "train-2-loss",
            "train-2-heatmap",
            "train-2-flow"
        ]
    );
    let loss = texts(charts[0]);
    assert!(loss.contains(&"training step"), "{loss:?}");
    assert!(loss.contains(&"loss (mse) (log scale)"), "{loss:?}");
    // 5.87e14 at step 1, then 1: whole decades from 1 to 1e15.
    assert!(loss.contains(&"1e14") && loss.contains(&"1"), "{loss:?}");
    let heatmap = texts(charts[1]);
    assert!(heatmap.contains(&"‖∂L/∂W‖ (log scale)"), "{heatmap:?}");
    assert!(heatmap.contains(&"dead layer"), "{heatmap:?}");
    // Each of the 20 layers at each of the 3 steps is one cell.
    let cells = charts[1]
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter(|n| n.attribute("fill") == Some("#BDBDBD"))
        .count();
    assert_eq!(
        cells,
        40 + 1,
        "steps 2 and 3 dead in every layer, and the key"
    );
    let flow = texts(charts[2]);
    assert!(flow.contains(&"gradient norm (log scale)"), "{flow:?}");
    // Two series (‖∂L/∂W‖ and ‖∂L/∂a‖) at each of the three profile steps.
    let series = flow.iter().filter(|t| t.contains(", step ")).count();
    assert_eq!(series, 6, "{flow:?}");
    // The key stands right of every point of every line, so that it covers none of them.
    let number = |n: Node, name: &str| -> f64 {
        n.attribute(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("<{}> without {name}", n.tag_name().name()))
    };
    let rightmost_point = charts[2]
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|n| number(n, "cx") + number(n, "r"))
        .fold(f64::NEG_INFINITY, f64::max);
    let key: Vec<f64> = charts[2]
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter(|n| {
            n.text()
                .is_some_and(|t| t.contains(", step ") || t.contains("dead layer"))
        })
        .map(|n| number(n, "x"))
        .collect();
    assert_eq!(key.len(), 7, "six lines and the dead layers' crosses");
    assert!(
        key.iter().all(|&x| x > rightmost_point + 20.0),
        "the key at {key:?} overlaps points up to x = {rightmost_point}"
    );
    // The warnings come with their source lines and help.
    assert!(page.contains("exploding gradients at step 1"));
    assert!(page.contains("dead ReLU layer at step 2"));
    assert!(page.contains("Help 1: clip the gradients"));
    // Each chart's exact values are in its hover grid.
    assert!(
        page.contains("step 1: loss 586994050000000, ‖∇‖ 2243690500000000"),
        "step 1, exactly"
    );
    assert!(page.contains("step 2: loss 1, ‖∇‖ 0"), "step 2, exactly");
}

#[test]
fn plots_are_written_one_file_per_chart_with_stable_names() {
    let dir = folder("plots");
    report("examples/seed.grad", &dir);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("plots"))
        .expect("the plots folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "train-1-flow.svg",
            "train-1-heatmap.svg",
            "train-1-loss.svg",
            "train-2-flow.svg",
            "train-2-heatmap.svg",
            "train-2-loss.svg"
        ]
    );
    for name in names {
        let svg = std::fs::read_to_string(dir.join("plots").join(&name)).expect("svg");
        let doc = parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert_self_contained(&doc, &name);
    }
}

#[test]
fn compare_overlays_every_variant_and_sweep_has_a_colour_bar() {
    let dir = folder("compare");
    let page = report("examples/compare.grad", &dir);
    let doc = parse(&page).expect("the page parses");
    let compare = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("compare-1-loss"))
        .expect("the compare chart");
    let legend = texts(compare);
    // The baseline and its seven variants, each with its verdict.
    let rows = legend
        .iter()
        .filter(|t| t.ends_with(')') && !t.starts_with("loss"));
    assert_eq!(rows.count(), 8, "{legend:?}");
    assert!(legend.contains(&"baseline (diverged)"), "{legend:?}");
    assert!(page.contains("<table class=\"compare\">"));

    let dir = folder("sweep");
    let page = report("examples/sweep.grad", &dir);
    let doc = parse(&page).expect("the page parses");
    let grid = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("sweep-1-grid"))
        .expect("the sweep chart");
    let labels = texts(grid);
    assert!(labels.contains(&"first_grad (log scale)"), "{labels:?}");
    assert!(labels.contains(&"depth=40"), "{labels:?}");
    let verdicts = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("sweep-2-grid"))
        .expect("the verdict chart");
    assert!(texts(verdicts).contains(&"exploding"));
}

#[test]
fn explain_draws_the_product_and_the_f32_overflow_line() {
    let dir = folder("explain");
    let page = report("examples/explain.grad", &dir);
    let doc = parse(&page).expect("the page parses");
    let chart = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("explain-1-product"))
        .expect("the explain chart");
    let labels = texts(chart);
    assert!(labels.contains(&"f32 overflow (3.4e38)"), "{labels:?}");
    assert!(
        labels.contains(&"layers back from the output (depth)"),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|t| t.starts_with("gradients overflow f32 at depth")),
        "{labels:?}"
    );
}

#[test]
fn every_example_makes_a_report() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "grad"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 10);
    for example in examples {
        let name = example
            .file_stem()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let dir = folder(&format!("every-{name}"));
        let page = report(&format!("examples/{name}.grad"), &dir);
        let doc = parse(&page).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!svgs(&doc).is_empty(), "{name}: no chart");
    }
}

/// `:plot` in the REPL writes the latest input's runs as a report and says where.
#[test]
fn the_repl_plots_its_latest_runs() {
    let dir = folder("repl");
    let input = dir.join("session.txt");
    std::fs::write(
        &input,
        ":plot\n\
         network n { input 2 dense 4 tanh dense 1 sigmoid }\n\
         train n on xor() { steps 20 loss bce }\n\
         print 1\n\
         :plot\n",
    )
    .unwrap();
    let out = gradlab(&[]).stdin_file(&input).run();
    // The first `:plot` has nothing to draw: an error, and the exit status says so.
    assert!(out.stderr.contains("no run to plot yet"), "{}", out.stderr);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    // `print 1` made no run, so the second `:plot` draws the `train` before it.
    let path = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("wrote ")?.split(" (").next())
        .unwrap_or_else(|| panic!("no path in {}", out.stdout));
    let page = std::fs::read_to_string(path).expect("the report");
    let _ = std::fs::remove_file(path);
    let doc = parse(&page).expect("the page is XML");
    assert_self_contained(&doc, "the REPL's report");
    assert!(page.contains("train n on xor"), "{page}");
    assert!(svgs(&doc).len() >= 3, "{} charts", svgs(&doc).len());
}

/// A long run keeps about 5000 of its steps for the charts, not every one: the page
/// stays small and the header still counts every step.
#[test]
fn a_long_run_keeps_a_bounded_history() {
    let dir = folder("long");
    let script = dir.join("long.grad");
    std::fs::write(
        &script,
        "network n { input 1 dense 2 tanh dense 1 linear }\n\
         train n on linear(8) { steps 100000 show none }\n\
         compare n on linear(8) { steps 100000 variant clip_norm(1) }\n",
    )
    .unwrap();
    let page = dir.join("report.html");
    let out = gradlab(&["run", "--report"]).arg(&page).arg(&script).run();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(
        page.contains("100000 of 100000"),
        "the header counts every step"
    );
    // Every 20th step from step 1 is kept, and a train run's last step too.
    assert!(page.contains("step 99981: loss"), "a kept step");
    assert!(!page.contains("step 99982:"), "a step between kept ones");
    assert!(
        page.contains("step 100000: loss"),
        "the train run's last step"
    );
    assert!(page.len() < 4 << 20, "{} bytes", page.len());
}
