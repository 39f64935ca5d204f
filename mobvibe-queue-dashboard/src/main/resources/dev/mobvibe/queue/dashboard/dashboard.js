// MobVibe Queue dashboard: refreshes the overview's figures by polling its JSON, and draws the
// last hour's chart as SVG. Only textContent and DOM calls: no HTML is built from data.
(function () {
  "use strict";
  var body = document.body;
  var base = body.getAttribute("data-base") || "";
  var refreshMs = parseInt(body.getAttribute("data-refresh-ms"), 10) || 5000;
  var SVG = "http://www.w3.org/2000/svg";

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== String(value)) {
      el.textContent = String(value);
    }
  }

  function cell(row, value, cls) {
    var td = document.createElement("td");
    td.textContent = String(value);
    if (cls) {
      td.className = cls;
    }
    row.appendChild(td);
    return td;
  }

  function replaceRows(id, rows) {
    var tbody = document.getElementById(id);
    if (!tbody) {
      return;
    }
    while (tbody.firstChild) {
      tbody.removeChild(tbody.firstChild);
    }
    rows.forEach(function (r) {
      tbody.appendChild(r);
    });
  }

  function el(name, attrs) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      e.setAttribute(k, String(attrs[k]));
    });
    return e;
  }

  function drawChart(activity) {
    var box = document.getElementById("chart");
    if (!box) {
      return;
    }
    var w = 600, h = 140, pad = 22;
    var completed = activity.completed, failed = activity.failed;
    var max = 1;
    completed.concat(failed).forEach(function (v) {
      max = Math.max(max, v);
    });
    var svg = el("svg", { viewBox: "0 0 " + w + " " + h, width: "100%", role: "img" });
    var bw = (w - pad) / completed.length;
    svg.appendChild(el("line", { x1: pad, y1: h - pad, x2: w, y2: h - pad, "class": "axis" }));
    var top = el("text", { x: 0, y: 12, "class": "tick" });
    top.textContent = String(max);
    svg.appendChild(top);
    var zero = el("text", { x: 0, y: h - pad, "class": "tick" });
    zero.textContent = "0";
    svg.appendChild(zero);
    var left = el("text", { x: pad, y: h - 6, "class": "tick" });
    left.textContent = "-60 min";
    svg.appendChild(left);
    var right = el("text", { x: w - 30, y: h - 6, "class": "tick" });
    right.textContent = "now";
    svg.appendChild(right);
    completed.forEach(function (v, i) {
      var bh = (h - 2 * pad) * v / max;
      svg.appendChild(el("rect", { x: pad + i * bw, y: h - pad - bh, width: Math.max(1, bw - 2),
        height: bh, "class": "bar-completed" }));
    });
    var points = failed.map(function (v, i) {
      return (pad + i * bw + bw / 2).toFixed(1) + "," + (h - pad - (h - 2 * pad) * v / max).toFixed(1);
    }).join(" ");
    svg.appendChild(el("polyline", { points: points, "class": "line-failed" }));
    box.setAttribute("data-completed", String(completed.reduce(function (a, b) { return a + b; }, 0)));
    box.setAttribute("data-failed", String(failed.reduce(function (a, b) { return a + b; }, 0)));
    while (box.firstChild) {
      box.removeChild(box.firstChild);
    }
    box.appendChild(svg);
  }

  function render(o) {
    Object.keys(o.counts).forEach(function (status) {
      var c = o.counts[status];
      text("count-" + status, c.shown);
      Object.keys(c.tiersShown).forEach(function (tier) {
        text("tier-" + status + "-" + tier, c.tiersShown[tier]);
      });
    });
    text("oldest-pending", o.oldestPending);
    if (o.notifier) {
      text("notifier", o.notifier);
    }
    text("updated-at", o.at);
    replaceRows("kinds", o.kinds.map(function (k) {
      var tr = document.createElement("tr");
      cell(tr, k.kind);
      cell(tr, k.shown.pending, "num");
      cell(tr, k.shown.processing, "num");
      cell(tr, k.shown.failed, "num");
      return tr;
    }));
    replaceRows("workers", o.workers.map(function (w) {
      var tr = document.createElement("tr");
      cell(tr, w.owner);
      cell(tr, w.held, "num");
      cell(tr, w.nextLeaseExpiry);
      var td = cell(tr, "");
      w.jobs.forEach(function (j) {
        var a = document.createElement("a");
        a.href = base + "/jobs/" + encodeURIComponent(j.id);
        a.textContent = j.kind;
        td.appendChild(a);
        td.appendChild(document.createTextNode(" "));
      });
      if (w.held > w.jobs.length) {
        td.appendChild(document.createTextNode("\u2026 and " + (w.held - w.jobs.length) + " more"));
      }
      return tr;
    }));
    var csrf = body.getAttribute("data-csrf");
    replaceRows("paused", o.paused.map(function (p) {
      var tr = document.createElement("tr");
      cell(tr, p.kind);
      cell(tr, p.since);
      var td = cell(tr, "");
      if (csrf) {
        var form = document.createElement("form");
        form.method = "post";
        form.className = "inline";
        form.action = base + "/kinds/resume";
        [["csrf", csrf], ["kind", p.kind]].forEach(function (f) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = f[0];
          input.value = f[1];
          form.appendChild(input);
        });
        var button = document.createElement("button");
        button.type = "submit";
        button.className = "resume";
        button.textContent = "Resume";
        form.appendChild(button);
        td.appendChild(form);
      }
      return tr;
    }));
    drawChart(o.activity);
    body.setAttribute("data-refreshed", o.at);
  }

  function poll() {
    fetch(base + "/api/overview", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) {
          window.location.href = base + "/login";
          return null;
        }
        return r.ok ? r.json() : null;
      })
      .then(function (o) {
        if (o) {
          render(o);
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () {
        window.setTimeout(poll, refreshMs);
      });
  }

  if (body.getAttribute("data-page") === "overview") {
    poll();
  }

  // Dead letters: confirm before a bulk replay.
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (e) {
      var n = bulk.querySelectorAll("input[name=id]:checked").length;
      if (n === 0) {
        e.preventDefault();
      }
    });
  }
})();
