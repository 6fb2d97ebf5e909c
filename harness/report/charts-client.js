// Runs in the browser, inlined into report.html after uPlot. Plain ES5-ish JS on
// purpose: no build step, and old browsers opening a CI artifact still draw it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("drainlab-data").textContent);
  var HEIGHT = 240;
  var SYNC_KEY = "drainlab-run";
  var charts = [];

  var x0 = data.x_min_s;
  var x1 = data.x_max_s;
  var half = data.bucket_s / 2;
  var mids = data.t_s.map(function (t) { return t + half; });
  // stepped paths hold each value until the next x, so the last bucket needs a closing edge
  var edges = data.t_s.concat([data.t_s.length ? data.t_s[data.t_s.length - 1] + data.bucket_s : x1]);

  function fixed(v, digits, unit) {
    return v == null ? "-" : Number(v).toFixed(digits) + (unit || "");
  }

  function clampX(u, v) {
    var b = u.bbox;
    return Math.max(b.left, Math.min(b.left + b.width, u.valToPos(v, "x", true)));
  }

  // the Jepsen way: fault intervals as translucent bands under everything else
  function shadeBands(u, bands, key) {
    var ctx = u.ctx;
    var b = u.bbox;
    var drawn = [];
    ctx.save();
    bands.forEach(function (p) {
      var left = clampX(u, p.from_s);
      var width = Math.max(clampX(u, p.to_s) - left, 2 * devicePixelRatio);
      ctx.fillStyle = p.fill;
      ctx.fillRect(left, b.top, width, b.height);
      ctx.fillStyle = p.edge;
      ctx.fillRect(left, b.top, Math.max(1, devicePixelRatio), b.height);
      drawn.push(p[key]);
    });
    ctx.restore();
    return drawn.join(" ");
  }

  // drain phases, then the scenario's faults (older reports have none), each in its own colour
  function shadePhases(u) {
    var el = u.root.parentNode;
    el.setAttribute("data-phases-drawn", shadeBands(u, data.phases, "name"));
    el.setAttribute("data-faults-drawn", shadeBands(u, data.faults || [], "kind"));
  }

  function markFailures(u) {
    var ctx = u.ctx;
    var b = u.bbox;
    var size = 5 * devicePixelRatio;
    var marked = 0;
    ctx.save();
    ctx.fillStyle = data.colors.failed;
    data.failed.forEach(function (n, i) {
      if (!n) return;
      var x = u.valToPos(mids[i], "x", true);
      var y = b.top + b.height;
      ctx.beginPath();
      ctx.moveTo(x, y - 2 * size);
      ctx.lineTo(x - size, y);
      ctx.lineTo(x + size, y);
      ctx.closePath();
      ctx.fill();
      marked++;
    });
    ctx.restore();
    u.root.parentNode.setAttribute("data-failure-marks", String(marked));
  }

  var lanes = data.loss_marks || [];
  // the top of the latency chart is kept clear of data: one lane of marks per loss class
  var laneShare = lanes.length ? Math.min(0.4, 0.05 + 0.08 * lanes.length) : 0;

  function drawShape(ctx, shape, x, y, r) {
    ctx.beginPath();
    if (shape === "square") {
      ctx.rect(x - 0.8 * r, y - 0.8 * r, 1.6 * r, 1.6 * r);
    } else if (shape === "diamond") {
      ctx.moveTo(x, y - 1.15 * r);
      ctx.lineTo(x + r, y);
      ctx.lineTo(x, y + 1.15 * r);
      ctx.lineTo(x - r, y);
    } else if (shape === "triangle-down" || shape === "triangle-up") {
      var s = shape === "triangle-down" ? 1 : -1;
      ctx.moveTo(x - r, y - s * 0.8 * r);
      ctx.lineTo(x + r, y - s * 0.8 * r);
      ctx.lineTo(x, y + s * r);
    } else if (shape === "cross" || shape === "plus" || shape === "ring" || shape === "minus") {
      ctx.lineWidth = Math.max(1.5, 0.45 * r);
      if (shape === "ring") ctx.arc(x, y, 0.8 * r, 0, 2 * Math.PI);
      else if (shape === "cross") {
        ctx.moveTo(x - 0.8 * r, y - 0.8 * r);
        ctx.lineTo(x + 0.8 * r, y + 0.8 * r);
        ctx.moveTo(x + 0.8 * r, y - 0.8 * r);
        ctx.lineTo(x - 0.8 * r, y + 0.8 * r);
      } else {
        ctx.moveTo(x - r, y);
        ctx.lineTo(x + r, y);
        if (shape === "plus") {
          ctx.moveTo(x, y - r);
          ctx.lineTo(x, y + r);
        }
      }
      ctx.stroke();
      return;
    } else {
      ctx.arc(x, y, 0.85 * r, 0, 2 * Math.PI);
    }
    ctx.closePath();
    ctx.fill();
  }

  // one lane per loss class along the top, a mark at each flagged request's intended send time
  function markLossClasses(u) {
    var el = u.root.parentNode;
    if (!lanes.length) {
      el.setAttribute("data-loss-marks", "");
      return;
    }
    var ctx = u.ctx;
    var b = u.bbox;
    var laneH = (b.height * laneShare) / lanes.length;
    var r = Math.min(4.5 * devicePixelRatio, laneH * 0.4);
    var drawn = [];
    var ys = [];
    ctx.save();
    ctx.fillStyle = "rgba(29, 37, 44, 0.35)";
    ctx.fillRect(b.left, Math.round(b.top + b.height * laneShare), b.width, Math.max(1, devicePixelRatio));
    lanes.forEach(function (lane, k) {
      var y = b.top + laneH * (k + 0.5);
      var n = 0;
      ctx.fillStyle = lane.color;
      ctx.strokeStyle = lane.color;
      lane.t_s.forEach(function (t) {
        if (t < u.scales.x.min || t > u.scales.x.max) return;
        drawShape(ctx, lane.shape, u.valToPos(t, "x", true), y, r);
        n++;
      });
      drawn.push(lane["class"] + ":" + n);
      ys.push(Math.round(y));
    });
    ctx.restore();
    el.setAttribute("data-loss-marks", drawn.join(" "));
    el.setAttribute("data-loss-lane-ys", ys.join(" "));
  }

  // the legend's swatches, drawn by the same code as the marks themselves
  Array.prototype.forEach.call(document.querySelectorAll("canvas.mark-swatch"), function (c) {
    var dpr = devicePixelRatio || 1;
    var css = 14;
    c.width = css * dpr;
    c.height = css * dpr;
    var ctx = c.getContext("2d");
    ctx.fillStyle = c.getAttribute("data-color");
    ctx.strokeStyle = c.getAttribute("data-color");
    drawShape(ctx, c.getAttribute("data-shape"), (css / 2) * dpr, (css / 2) * dpr, 4.5 * dpr);
  });

  function make(id, title, yLabel, series, values, extra) {
    var el = document.getElementById(id);
    var yAxis = { label: yLabel, size: 60 };
    if (extra && extra.yIncrs) yAxis.incrs = extra.yIncrs;
    if (extra && extra.yFilter) {
      yAxis.filter = extra.yFilter;
      yAxis.ticks = { filter: extra.yFilter };
      yAxis.grid = { filter: extra.yFilter };
    }
    var opts = {
      title: title,
      width: Math.max(320, el.clientWidth),
      height: HEIGHT,
      cursor: { sync: { key: SYNC_KEY } },
      scales: { x: { time: false, range: [x0, x1] }, y: { range: (extra && extra.yRange) || function (u, min, max) { return [0, Math.max(1, max) * 1.08]; } } },
      axes: [
        { label: "seconds since the load started", values: function (u, ticks) { return ticks.map(function (t) { return t + " s"; }); } },
        yAxis,
      ],
      series: [{ label: "t", value: function (u, v) { return fixed(v, 2, " s"); } }].concat(series),
      hooks: { drawClear: [shadePhases], draw: (extra && extra.draw) || [] },
      bands: (extra && extra.bands) || [],
    };
    var chart = new uPlot(opts, values, el);
    charts.push(chart);
    return chart;
  }

  make(
    "chart-latency",
    "Latency from intended send time, per " + data.bucket_ms + " ms bucket",
    "ms",
    [
      { label: "p50", stroke: data.colors.p50, width: 1.5, spanGaps: false, points: { show: false }, value: function (u, v) { return fixed(v, 1, " ms"); } },
      { label: "p99", stroke: data.colors.p99, width: 1.5, spanGaps: false, points: { show: false }, value: function (u, v) { return fixed(v, 1, " ms"); } },
    ],
    [mids, data.p50_ms, data.p99_ms],
    {
      draw: [markFailures, markLossClasses],
      yRange: function (u, min, max) { return [0, (Math.max(1, max) * 1.08) / (1 - laneShare)]; },
      // no latency ticks or grid lines up in the lanes: nothing there is a latency
      yFilter: function (u, splits) {
        var limit = u.scales.y.max * (1 - laneShare);
        return splits.map(function (v) { return v <= limit ? v : null; });
      },
    },
  );

  var stepped = uPlot.paths.stepped({ align: 1 });
  var running = edges.map(function () { return 0; });
  var stacked = [];
  var nodeSeries = data.nodes.map(function (node, k) {
    var raw = data.rps[k].concat([data.rps[k][data.rps[k].length - 1] || 0]);
    running = running.map(function (sum, i) { return sum + raw[i]; });
    stacked.push(running);
    return {
      label: node + (data.drained.indexOf(node) >= 0 ? " (drained)" : ""),
      stroke: data.node_colors[k],
      fill: data.node_fills[k],
      width: 1,
      paths: stepped,
      points: { show: false },
      value: function (u, v, si, i) { return i == null ? "-" : fixed(raw[i], 0, " /s"); },
    };
  });
  // each node's area is filled only down to the node below it: a stack, not overlapping fills
  var bands = data.nodes.slice(1).map(function (node, k) { return { series: [k + 2, k + 1] }; });
  make("chart-rps", "Answers per second, by node (stacked)", "answers / s", nodeSeries, [edges].concat(stacked), { bands: bands });

  make(
    "chart-failures",
    "Failed or unanswered requests, per " + data.bucket_ms + " ms bucket (by intended send time)",
    "requests",
    [{ label: "failed", stroke: data.colors.failed, fill: data.colors.failed_fill, paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false }, value: function (u, v) { return fixed(v, 0); } }],
    [mids, data.failed],
    // whole requests only: no 0.25 ticks on a run without failures
    { yIncrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000] },
  );

  // long-lived sessions: how many of each kind were open, on the same time axis (only when the run had some)
  if (data.sessions && data.sessions.length) {
    var ts = data.sessions_t_s;
    var sessionEdges = ts.concat([ts.length ? ts[ts.length - 1] + data.bucket_s : x1]);
    make(
      "chart-sessions",
      "Long-lived sessions open, by kind (streams, SSE feeds, WebSockets)",
      "open",
      data.sessions.map(function (x) {
        var raw = x.open.concat([x.open[x.open.length - 1] || 0]);
        return {
          label: x.kind + (x.incomplete ? " (" + x.incomplete + " incomplete)" : ""),
          stroke: x.color,
          width: 1.5,
          paths: stepped,
          points: { show: false },
          value: function (u, v, si, i) { return i == null ? "-" : fixed(raw[i], 0); },
        };
      }),
      [sessionEdges].concat(data.sessions.map(function (x) { return x.open.concat([x.open[x.open.length - 1] || 0]); })),
      { yIncrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    );
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.setSize({ width: Math.max(320, c.root.parentNode.clientWidth), height: HEIGHT }); });
  });
  window.drainlabCharts = charts;
  document.body.setAttribute("data-charts-ready", String(charts.length));
})();
