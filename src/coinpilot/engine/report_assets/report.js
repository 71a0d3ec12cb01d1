// Draws the backtest report from the compressed data block (coinpilot.engine.report_charts
// encodes it). Plain browser JavaScript and the embedded plotly.js: no network, no build step.
(function () {
  "use strict";
  var CONFIG = {displaylogo: false, responsive: true};
  var GREEN = "#1a7f37", RED = "#c62828";

  function times(t) { var out = new Array(t.d.length), v = 0; for (var i = 0; i < t.d.length; i++) { v += t.d[i]; out[i] = v * t.s; } return out; }
  function scale(p) { return function (v) { return p >= 0 ? v / Math.pow(10, p) : v * Math.pow(10, -p); }; }
  function series(e) {
    var f = scale(e.p), out = new Array(e.d.length), v = 0;
    for (var i = 0; i < e.d.length; i++) { v += e.d[i]; out[i] = f(v); }
    for (var k = 0; k < e.nan.length; k++) out[e.nan[k]] = null;
    return out;
  }
  function candles(c) {
    var f = scale(c.p), n = c.o.length, o = new Array(n), h = new Array(n), l = new Array(n), cl = new Array(n), v = 0;
    for (var i = 0; i < n; i++) {
      v += c.o[i]; var close = v + c.c[i];
      o[i] = f(v); cl[i] = f(close); h[i] = f(Math.max(v, close) + c.h[i]); l[i] = f(Math.min(v, close) - c.l[i]);
    }
    return {x: times(c.t), open: o, high: h, low: l, close: cl};
  }
  function fmt(v, d) { return v == null ? "" : v.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d}); }
  function when(ms) { return new Date(ms).toISOString().slice(0, 16).replace("T", " "); }
  function held(ms) { var m = Math.round(ms / 60000), d = Math.floor(m / 1440), h = Math.floor(m % 1440 / 60), mm = m % 60;
    return (d ? d + "d " : "") + String(h).padStart(2, "0") + ":" + String(mm).padStart(2, "0"); }

  function equityChart(e) {
    var x = times(e.t), traces = [
      {x: x, y: series(e.equity), name: "equity", type: "scatter", mode: "lines", line: {width: 1.5, color: "#1f77b4"}},
      {x: x, y: series(e.dd), name: "drawdown %", type: "scatter", mode: "lines", fill: "tozeroy", yaxis: "y2", line: {width: 1, color: "#d62728"}}];
    if (e.hold) traces.splice(1, 0, {x: x, y: series(e.hold), name: "buy and hold", type: "scatter", mode: "lines", line: {width: 1, color: "#888", dash: "dot"}});
    Plotly.newPlot("equity-chart", traces, {
      margin: {l: 60, r: 20, t: 20, b: 30}, legend: {orientation: "h", y: 1.06}, hovermode: "x unified",
      xaxis: {type: "date"}, yaxis: {domain: [0.32, 1], title: {text: "equity"}},
      yaxis2: {domain: [0, 0.26], title: {text: "drawdown %"}},
      shapes: [{type: "line", xref: "paper", x0: 0, x1: 1, y0: e.initial, y1: e.initial, line: {dash: "dot", width: 1, color: "grey"}}]
    }, CONFIG);
  }

  function tradeTraces(T, symbolIndex) {
    var idx = []; for (var i = 0; i < T.n; i++) if (T.sym[i] === symbolIndex) idx.push(i);
    var traces = [], parts = {long: [[], [], []], short: [[], [], []]}, exits = [[], [], []];
    var links = {win: [[], []], loss: [[], []]}, stops = [[], []], targets = [[], []];
    idx.forEach(function (i) {
      var p = T.side[i] > 0 ? parts.long : parts.short;
      p[0].push(T.et[i]); p[1].push(T.ep[i]); p[2].push("#" + (i + 1) + " " + T.entry_reasons[T.er[i]]);
      exits[0].push(T.xt[i]); exits[1].push(T.xp[i]); exits[2].push("#" + (i + 1) + " " + T.exit_reasons[T.xr[i]] + " " + fmt(T.net[i], 2));
      var link = T.net[i] > 0 ? links.win : links.loss;
      link[0].push(T.et[i], T.xt[i], null); link[1].push(T.ep[i], T.xp[i], null);
      if (T.sl[i] != null) { stops[0].push(T.et[i], T.xt[i], null); stops[1].push(T.sl[i], T.sl[i], null); }
      if (T.tp[i] != null) { targets[0].push(T.et[i], T.xt[i], null); targets[1].push(T.tp[i], T.tp[i], null); }
    });
    function line(xy, name, color, dash, width) { return {x: xy[0], y: xy[1], name: name, type: "scatter", mode: "lines", hoverinfo: "skip", connectgaps: false, line: {color: color, dash: dash, width: width}}; }
    traces.push(line(stops, "stop", RED, "dash", 1), line(targets, "target", GREEN, "dash", 1),
                line(links.win, "winning trade", GREEN, "solid", 1.5), line(links.loss, "losing trade", RED, "solid", 1.5));
    [["long", "triangle-up", GREEN], ["short", "triangle-down", RED]].forEach(function (s) {
      var p = parts[s[0]];
      traces.push({x: p[0], y: p[1], text: p[2], name: s[0] + " entry", type: "scatter", mode: "markers",
                   marker: {symbol: s[1], size: 10, color: s[2]}, hovertemplate: "%{x}<br>entry %{y}<br>%{text}<extra></extra>"});
    });
    traces.push({x: exits[0], y: exits[1], text: exits[2], name: "exit", type: "scatter", mode: "markers",
                 marker: {symbol: "x", size: 8, color: "#1f1f1f"}, hovertemplate: "%{x}<br>exit %{y}<br>%{text}<extra></extra>"});
    return {traces: traces, count: idx.length};
  }

  function candleChart(D, symbol, range) {
    var c = D.candles[symbol], bars = candles(c), T = D.trades;
    var panels = []; c.lines.forEach(function (l) { if (l.panel !== "price" && panels.indexOf(l.panel) < 0) panels.push(l.panel); });
    var sub = panels.length ? 0.22 : 0, gap = 0.03, layout = {
      margin: {l: 60, r: 20, t: 30, b: 30}, legend: {orientation: "h", y: 1.04}, hovermode: "closest",
      xaxis: {type: "date", rangeslider: {visible: false}, range: range || null},
      yaxis: {domain: [panels.length * (sub + gap), 1], title: {text: symbol}},
      title: {text: symbol + " · " + c.tf + " candles", font: {size: 14}}};
    panels.forEach(function (name, k) {
      var lo = (panels.length - 1 - k) * (sub + gap);
      layout["yaxis" + (k + 2)] = {domain: [lo, lo + sub], title: {text: name}};
    });
    var traces = [{type: "candlestick", x: bars.x, open: bars.open, high: bars.high, low: bars.low, close: bars.close,
                   name: symbol, increasing: {line: {color: "#26a69a"}}, decreasing: {line: {color: "#ef5350"}}}];
    c.lines.forEach(function (l) {
      var axis = l.panel === "price" ? "y" : "y" + (panels.indexOf(l.panel) + 2);
      traces.push({x: bars.x, y: series(l), name: l.name, type: "scatter", mode: "lines", yaxis: axis, line: {width: 1}});
    });
    if (T.n) { var si = T.symbols.indexOf(symbol); if (si >= 0) traces = traces.concat(tradeTraces(T, si).traces); }
    Plotly.react("candles-chart", traces, layout, CONFIG);
  }

  function histograms(T, which) {
    var ret = {win: [], loss: []}, dur = {win: [], loss: []};
    for (var i = 0; i < T.n; i++) {
      var k = T.net[i] > 0 ? "win" : "loss";
      ret[k].push(T.ret[i]); dur[k].push((T.xt[i] - T.et[i]) / 3600000);
    }
    function hist(id, data, title) {
      Plotly.newPlot(id, [
        {x: data.win, type: "histogram", name: "winners", marker: {color: GREEN}, opacity: 0.7},
        {x: data.loss, type: "histogram", name: "losers", marker: {color: RED}, opacity: 0.7}],
        {barmode: "overlay", margin: {l: 50, r: 20, t: 10, b: 40}, xaxis: {title: {text: title}}, yaxis: {title: {text: "trades"}},
         legend: {orientation: "h"}}, CONFIG);
    }
    if (which === "returns-chart") hist("returns-chart", ret, "net return % of entry notional");
    else hist("durations-chart", dur, "hours held");
  }

  function haltsChart(H) {
    if (!H.length || !document.getElementById("halts-chart")) return;
    Plotly.newPlot("halts-chart", [{type: "bar", orientation: "h", y: H.map(function (h) { return h.label; }),
      base: H.map(function (h) { return h.start; }), x: H.map(function (h) { return h.end - h.start; }),
      text: H.map(function (h) { return h.refused + " refused" + (h.open ? " · until the end" : ""); }),
      hovertext: H.map(function (h) { return h.reason; }), marker: {color: RED}}],
      {margin: {l: 220, r: 20, t: 10, b: 30}, xaxis: {type: "date"}, yaxis: {automargin: true}}, CONFIG);
  }

  function tradeTable(D) {
    var T = D.trades, table = document.getElementById("trades-table");
    if (!table || !T.n) return;
    var cols = [
      ["#", function (i) { return i + 1; }, String],
      ["symbol", function (i) { return T.symbols[T.sym[i]]; }, String],
      ["side", function (i) { return T.side[i] > 0 ? "long" : "short"; }, String],
      ["entry", function (i) { return T.et[i]; }, when], ["entry price", function (i) { return T.ep[i]; }, String],
      ["exit", function (i) { return T.xt[i]; }, when], ["exit price", function (i) { return T.xp[i]; }, String],
      ["held", function (i) { return T.xt[i] - T.et[i]; }, held], ["qty", function (i) { return T.qty[i]; }, String],
      ["net PnL", function (i) { return T.net[i]; }, function (v) { return fmt(v, 2); }],
      ["return %", function (i) { return T.ret[i]; }, function (v) { return fmt(v, 2); }],
      ["fees", function (i) { return T.fees[i]; }, function (v) { return fmt(v, 2); }],
      ["funding", function (i) { return T.fund[i]; }, function (v) { return fmt(v, 4); }],
      ["stop", function (i) { return T.sl[i]; }, function (v) { return v == null ? "" : String(+v.toPrecision(10)); }],
      ["target", function (i) { return T.tp[i]; }, function (v) { return v == null ? "" : String(+v.toPrecision(10)); }],
      ["exit reason", function (i) { return T.exit_reasons[T.xr[i]]; }, String],
      ["entry reason", function (i) { return T.entry_reasons[T.er[i]]; }, String]];
    var sortCol = 0, sortDir = 1, rows = [];
    for (var i = 0; i < T.n; i++) rows.push(i);
    table.tHead.innerHTML = "<tr>" + cols.map(function (c, k) { return "<th data-k='" + k + "'>" + c[0] + "</th>"; }).join("") + "</tr>";
    function fill(select, names) { names.forEach(function (n, k) { var o = document.createElement("option"); o.value = k; o.textContent = n; select.appendChild(o); }); }
    var fs = document.getElementById("f-symbol"), fside = document.getElementById("f-side"), fx = document.getElementById("f-exit"),
        fr = document.getElementById("f-result"), ft = document.getElementById("f-text"), count = document.getElementById("trades-count");
    fill(fs, T.symbols); fill(fx, T.exit_reasons);
    function esc(s) { return String(s).replace(/[&<>"']/g, function (ch) { return "&#" + ch.charCodeAt(0) + ";"; }); }
    function draw() {
      var text = ft.value.toLowerCase(), shown = rows.filter(function (i) {
        if (fs.value !== "" && T.sym[i] !== +fs.value) return false;
        if (fside.value !== "" && T.side[i] !== +fside.value) return false;
        if (fx.value !== "" && T.xr[i] !== +fx.value) return false;
        if (fr.value === "win" && !(T.net[i] > 0)) return false;
        if (fr.value === "loss" && T.net[i] > 0) return false;
        if (text && (T.entry_reasons[T.er[i]] + " " + T.exit_reasons[T.xr[i]]).toLowerCase().indexOf(text) < 0) return false;
        return true;
      });
      var key = cols[sortCol][1];
      shown.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : a - b) * sortDir; });
      table.tBodies[0].innerHTML = shown.map(function (i) {
        return "<tr data-i='" + i + "'>" + cols.map(function (c, k) {
          var v = c[1](i), css = k >= 15 ? " class='r'" : (k === 9 || k === 10) && v ? (v > 0 ? " class='pos'" : " class='neg'") : "";
          return "<td" + css + (k === 16 ? " title='" + esc(v) + "'" : "") + ">" + esc(c[2](v)) + "</td>";
        }).join("") + "</tr>";
      }).join("");
      count.textContent = shown.length + " of " + T.n + " trades";
    }
    table.tHead.addEventListener("click", function (ev) {
      var k = +ev.target.getAttribute("data-k"); if (isNaN(k)) return;
      sortDir = k === sortCol ? -sortDir : 1; sortCol = k; draw();
    });
    [fs, fside, fx, fr].forEach(function (el) { el.addEventListener("change", draw); });
    ft.addEventListener("input", draw);
    table.tBodies[0].addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr"); if (!tr) return;
      var i = +tr.getAttribute("data-i"), symbol = T.symbols[T.sym[i]], sel = document.getElementById("candles-symbol");
      if (!sel || !D.candles[symbol]) return;
      var pad = Math.max(20 * D.candles[symbol].t.s, (T.xt[i] - T.et[i]) / 2);
      sel.value = symbol; candleChart(D, symbol, [T.et[i] - pad, T.xt[i] + pad]);
      document.getElementById("candles-chart").setAttribute("data-drawn", "1");
      document.getElementById("candles").scrollIntoView();
    });
    draw();
  }

  var timings = window.reportTimings = {};
  function draw(el, fn) {
    if (el.hasAttribute("data-drawn")) return;
    var t0 = performance.now(); fn(); timings[el.id] = Math.round(performance.now() - t0);
    el.setAttribute("data-drawn", "1");
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) { if (e.isIntersecting) { observer.unobserve(e.target); draw(e.target, e.target._draw); } });
  }, {rootMargin: "300px"});
  function lazy(id, fn) {
    var el = document.getElementById(id); if (!el) return;
    el._draw = fn;
    if (el.getBoundingClientRect().top < window.innerHeight + 300) draw(el, fn); else observer.observe(el);
  }

  async function main() {
    var text = document.getElementById("report-data").textContent.trim();
    var bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var D = JSON.parse(await new Response(stream).text());
    window.reportData = D;
    timings.decode = Math.round(performance.now());
    // each chart is drawn when it comes near the screen: a long report opens at once, and
    // the reader never waits for charts further down (data-drawn marks a drawn one)
    var sel = document.getElementById("candles-symbol");
    lazy("equity-chart", function () { if (D.equity) equityChart(D.equity); });
    lazy("candles-chart", function () {
      candleChart(D, sel.value);
      sel.addEventListener("change", function () { candleChart(D, sel.value); });
    });
    lazy("trades-table", function () { tradeTable(D); });
    lazy("returns-chart", function () { histograms(D.trades, "returns-chart"); });
    lazy("durations-chart", function () { histograms(D.trades, "durations-chart"); });
    lazy("halts-chart", function () { haltsChart(D.halts); });
    window.reportReady = true;
  }
  main().catch(function (err) {
    console.error(err);
    var p = document.createElement("p"); p.className = "alert";
    p.textContent = "The charts could not be drawn: " + err + " (a browser from 2023 or later is needed).";
    document.body.insertBefore(p, document.body.firstChild);
  });
})();
