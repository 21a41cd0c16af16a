//! The page's style sheet and its one small script, both inline: the report opens with
//! no network. The script has no `<` or `&`, so the page also parses as XML.

pub const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 820px; padding: 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-top: 2px solid #ddd; padding-top: 0.8em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; margin-top: 0.3em; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
details summary { cursor: pointer; font-weight: 600; }
.error summary { color: #b00; }
#tip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 0.3em 0.5em;
       font-size: 0.85em; border-radius: 3px; max-width: 420px; }
"#;

/// Shows the hover cell's text under the pointer: each figure's `data-hover` holds the
/// plotting area in SVG pixels and a grid of texts.
pub const SCRIPT: &str = r#"
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('figure[data-hover]').forEach(function (figure) {
    var grid = JSON.parse(figure.getAttribute('data-hover'));
    var svg = figure.querySelector('svg');
    svg.addEventListener('mousemove', function (event) {
      var box = svg.getBoundingClientRect();
      var scale = svg.viewBox.baseVal.width / box.width;
      var x = (event.clientX - box.left) * scale;
      var y = (event.clientY - box.top) * scale;
      var column = Math.floor((x - grid.left) / (grid.right - grid.left) * grid.columns);
      var row = Math.floor((y - grid.top) / (grid.bottom - grid.top) * grid.rows);
      var inside = column >= 0 ? (row >= 0 ? (grid.columns > column ? grid.rows > row : false) : false) : false;
      var text = inside ? grid.cells[row * grid.columns + column] : '';
      tip.hidden = !text;
      tip.textContent = text;
      tip.style.left = (event.clientX + 12) + 'px';
      tip.style.top = (event.clientY + 12) + 'px';
    });
    svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  });
})();
"#;
