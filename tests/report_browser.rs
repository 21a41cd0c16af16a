//! The HTML report of `examples/seed.grad` in a real browser (headless Chromium): the
//! page loads with no console error, every chart has a size, and the screenshot is not
//! blank. `BLESS=1` also writes the screenshot to `docs/report-seed.png`, the picture
//! README shows. A missing browser fails the test, saying how to install it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::ROOT;
use support::golden::blessing;
use support::process::gradlab;

const TMP: &str = env!("CARGO_TARGET_TMPDIR");
const WIDTH: u32 = 840;

/// Debian's headless Chromium, or the full browser.
fn browser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium-headless-shell", "chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no headless Chromium on PATH: this test renders the HTML report in a real browser. \
         Install it with `apt-get install -y chromium-headless-shell` (or `chromium`), as root; \
         .ci/run does this when it is missing"
    );
}

/// Runs the browser on `page` with `args`; returns its standard output and error.
fn chromium(page: &Path, args: &[String]) -> (String, String) {
    let out = Command::new(browser())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args([
            "--allow-file-access-from-files",
            "--virtual-time-budget=3000",
        ])
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("the browser runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success(),
        "the browser failed: {}",
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

/// Records every error and console error before the page's own script runs, and writes
/// what it saw, with each chart's size, into `<pre id="probe">` after it.
const HEAD_PROBE: &str = "<script>window.seen=[];\
window.addEventListener('error',function(e){seen.push('error: '+e.message)});\
var consoleError=console.error;console.error=function(){seen.push('console: '+Array.prototype.join.call(arguments,' '));consoleError.apply(console,arguments)};\
</script>";
const BODY_PROBE: &str = "<pre id=\"probe\"></pre><script>\
var sizes=Array.prototype.map.call(document.querySelectorAll('figure svg'),function(s){var b=s.getBoundingClientRect();return [s.parentNode.id,Math.round(b.width),Math.round(b.height)]});\
document.getElementById('probe').textContent=JSON.stringify({errors:seen,sizes:sizes,height:document.documentElement.scrollHeight});\
</script>";

#[test]
fn the_seed_report_renders_in_a_browser() {
    let dir = Path::new(TMP).join("browser");
    std::fs::create_dir_all(&dir).expect("temp folder");
    let page = dir.join("seed.html");
    let run = gradlab(&["run", "--report"])
        .arg(&page)
        .arg("examples/seed.grad")
        .run();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let html = std::fs::read_to_string(&page).expect("the report");

    let probed = dir.join("seed-probed.html");
    let with_probes = html
        .replacen("<head>", &format!("<head>{HEAD_PROBE}"), 1)
        .replacen("</body>", &format!("{BODY_PROBE}</body>"), 1);
    std::fs::write(&probed, with_probes).expect("the probed copy");
    let (dom, log) = chromium(&probed, &["--dump-dom".into()]);
    assert!(!log.contains("Uncaught"), "a script error: {log}");
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let end = start + dom[start..].find("</pre>").expect("the probe's end");
    let probe: serde_json::Value =
        serde_json::from_str(&dom[start..end].replace("&quot;", "\"")).expect("the probe's JSON");
    assert_eq!(probe["errors"], serde_json::json!([]), "console errors");
    let sizes = probe["sizes"].as_array().expect("sizes");
    assert_eq!(sizes.len(), 6, "{sizes:?}");
    for size in sizes {
        assert!(
            size[1].as_f64() > Some(100.0) && size[2].as_f64() > Some(100.0),
            "{size}"
        );
    }

    let height = probe["height"].as_u64().expect("the page height");
    let png = dir.join("seed.png");
    chromium(
        &page,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={WIDTH},{height}"),
        ],
    );
    assert_not_blank(&png);
    if blessing() {
        std::fs::copy(&png, Path::new(ROOT).join("docs/report-seed.png")).expect("docs/");
    }
}

/// Most of the page is white, but far from all of it, and the charts bring colours.
fn assert_not_blank(path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("the screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut pixels).expect("the image");
    let channels = info.color_type.samples();
    let pixels = &pixels[..info.buffer_size()];
    let total = pixels.len() / channels;
    let colours: std::collections::HashSet<&[u8]> = pixels.chunks(channels).collect();
    let inked = pixels
        .chunks(channels)
        .filter(|p| p[..3].iter().any(|&c| c < 240))
        .count();
    assert!(
        inked * 20 > total,
        "{} of {total} pixels are not white",
        inked
    );
    assert!(colours.len() > 50, "only {} colours", colours.len());
}
