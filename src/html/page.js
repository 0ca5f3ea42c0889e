// toyemu --html: hover, zoom and pan, the readout, heap snapshots and
// page-table rows. Everything it draws on is already in the page; with
// the script off the charts and the tree still show.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var PLOT = 1000;
  var space = document.getElementById("space");
  var plotTop = +space.dataset.plotTop;
  var plotHeight = +space.dataset.plotHeight;
  var view = { x0: 0, x1: PLOT, y0: 0, y1: plotHeight };
  var tip = document.getElementById("tip");
  var readout = document.getElementById("readout");
  var NS = "http://www.w3.org/2000/svg";

  function count(v) {
    return Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function hex(v) {
    return "0x" + ("00000000" + Math.floor(v).toString(16)).slice(-8);
  }
  function short(v) {
    var units = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
      if (v >= units[i][0]) return +(v / units[i][0]).toFixed(2) + units[i][1];
    }
    return String(v);
  }

  // ---- zoom and pan: every view shares the time window, the address
  // chart also its own address window
  function apply() {
    var w = view.x1 - view.x0;
    document.querySelectorAll("svg.view").forEach(function (s) {
      var vb = s.viewBox.baseVal;
      var y0 = vb.y, h = vb.height;
      if (s.classList.contains("xy")) {
        y0 = view.y0;
        h = view.y1 - view.y0;
      }
      s.setAttribute("viewBox", [view.x0, y0, w, h].join(" "));
    });
    var sy = plotHeight / (view.y1 - view.y0);
    space.querySelectorAll(".ylabels text").forEach(function (t) {
      var y = (+t.dataset.y - view.y0) * sy;
      t.setAttribute("y", plotTop + y);
      t.style.display = y < 2 || y > plotHeight + 2 ? "none" : "";
    });
    drawAxis();
  }

  function drawAxis() {
    var g = space.querySelector(".xaxis");
    while (g.firstChild) g.removeChild(g.firstChild);
    var a = (view.x0 / PLOT) * data.insns, b = (view.x1 / PLOT) * data.insns;
    var raw = (b - a) / 8, step = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    if (raw / step >= 5) step *= 5; else if (raw / step >= 2) step *= 2;
    step = Math.max(1, step);
    for (var v = Math.ceil(a / step) * step; v <= b; v += step) {
      var x = ((v / data.insns) * PLOT - view.x0) * (PLOT / (view.x1 - view.x0));
      var line = document.createElementNS(NS, "line");
      line.setAttribute("x1", x); line.setAttribute("x2", x);
      line.setAttribute("y1", 0); line.setAttribute("y2", 5);
      line.setAttribute("stroke", "#888");
      g.appendChild(line);
      var t = document.createElementNS(NS, "text");
      t.setAttribute("x", x); t.setAttribute("y", 16);
      t.setAttribute("text-anchor", "middle");
      t.textContent = short(v);
      g.appendChild(t);
    }
    var label = document.createElementNS(NS, "text");
    label.setAttribute("x", -28); label.setAttribute("y", 16);
    label.setAttribute("text-anchor", "end");
    label.textContent = "instructions";
    g.appendChild(label);
  }

  function clampView() {
    var w = Math.min(PLOT, Math.max(view.x1 - view.x0, (PLOT * 4) / Math.max(data.windows, 1), 0.05));
    view.x0 = Math.min(Math.max(view.x0, 0), PLOT - w);
    view.x1 = view.x0 + w;
    var h = Math.min(plotHeight, Math.max(view.y1 - view.y0, 4));
    view.y0 = Math.min(Math.max(view.y0, 0), plotHeight - h);
    view.y1 = view.y0 + h;
  }

  // Where the mouse is, as a fraction of the plot it is over.
  function fractions(e, s) {
    var r = s.getBoundingClientRect();
    return { fx: (e.clientX - r.left) / r.width, fy: (e.clientY - r.top) / r.height, r: r };
  }

  document.querySelectorAll("svg.view").forEach(function (s) {
    s.addEventListener("wheel", function (e) {
      e.preventDefault();
      var f = fractions(e, s), k = e.deltaY < 0 ? 0.8 : 1.25;
      if (e.shiftKey && s.classList.contains("xy")) {
        var ay = view.y0 + f.fy * (view.y1 - view.y0), h = (view.y1 - view.y0) * k;
        view.y0 = ay - f.fy * h; view.y1 = view.y0 + h;
      } else {
        var ax = view.x0 + f.fx * (view.x1 - view.x0), w = (view.x1 - view.x0) * k;
        view.x0 = ax - f.fx * w; view.x1 = view.x0 + w;
      }
      clampView(); apply();
    }, { passive: false });
    s.addEventListener("pointerdown", function (e) {
      var f = fractions(e, s), start = { x: e.clientX, y: e.clientY, v: Object.assign({}, view) };
      var xy = s.classList.contains("xy");
      function move(ev) {
        var dx = ((ev.clientX - start.x) / f.r.width) * (start.v.x1 - start.v.x0);
        view.x0 = start.v.x0 - dx; view.x1 = start.v.x1 - dx;
        if (xy) {
          var dy = ((ev.clientY - start.y) / f.r.height) * (start.v.y1 - start.v.y0);
          view.y0 = start.v.y0 - dy; view.y1 = start.v.y1 - dy;
        }
        clampView(); apply();
      }
      function up() {
        window.removeEventListener("pointermove", move);
        window.removeEventListener("pointerup", up);
      }
      window.addEventListener("pointermove", move);
      window.addEventListener("pointerup", up);
    });
  });

  document.getElementById("reset").addEventListener("click", function () {
    view = { x0: 0, x1: PLOT, y0: 0, y1: plotHeight };
    apply();
  });

  // ---- the readout: the window under the mouse, its numbers, and on
  // the address chart the address
  function addressAt(y) {
    for (var i = 0; i < data.axis.length; i++) {
      var p = data.axis[i];
      if (y >= p[2] && y <= p[2] + p[3]) {
        return { addr: p[1] - ((y - p[2]) / p[3]) * (p[1] - p[0]), mapped: p[4] };
      }
    }
    return null;
  }

  function showWindow(fx, s, fy) {
    var x = view.x0 + fx * (view.x1 - view.x0);
    var insns = (x / PLOT) * data.insns;
    var i = Math.min(Math.floor(insns / data.width), data.windows - 1);
    var c = data.curves;
    var parts = ["instruction " + count(insns) + " (window " + count(i * data.width) + "–" + count((i + 1) * data.width - 1) + ")"];
    var kinds = c.frames.map(function (f) { return f[0] + " " + f[1][i]; });
    parts.push("frames " + c.total[i] + " (" + kinds.join(", ") + ")");
    if (c.brk[i]) parts.push("break " + hex(c.brk[i]));
    var lookups = c.hits[i] + c.misses[i];
    if (lookups) parts.push("TLB " + ((100 * c.hits[i]) / lookups).toFixed(1) + "% of " + count(lookups) + " lookups");
    parts.push(c.faults[i] + " faults, " + c.syscalls[i] + " syscalls, " + c.events[i] + " events");
    if (s === space.querySelector("svg.view.xy")) {
      var at = addressAt(view.y0 + fy * (view.y1 - view.y0));
      if (at) parts.unshift("address " + hex(at.addr) + (at.mapped ? "" : " (never mapped)"));
    }
    readout.textContent = parts.join(" · ");
    document.querySelectorAll("line.cursor").forEach(function (l) {
      l.setAttribute("x1", x); l.setAttribute("x2", x);
      l.setAttribute("y1", -1e4); l.setAttribute("y2", 1e4);
    });
  }

  document.addEventListener("pointermove", function (e) {
    var el = e.target.closest ? e.target.closest("[data-tip]") : null;
    if (el) {
      tip.textContent = el.dataset.tip;
      tip.hidden = false;
      var x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
      var y = e.clientY + 16 + tip.offsetHeight > window.innerHeight ? e.clientY - tip.offsetHeight - 10 : e.clientY + 16;
      tip.style.left = Math.max(0, x) + "px";
      tip.style.top = Math.max(0, y) + "px";
    } else {
      tip.hidden = true;
    }
    var s = e.target.closest ? e.target.closest("svg.view") : null;
    if (s) {
      var f = fractions(e, s);
      showWindow(f.fx, s, f.fy);
    }
  });

  // ---- heap snapshots: the dots on the syscall strip and the buttons
  function showHeap(i) {
    document.querySelectorAll(".heapview").forEach(function (v) {
      v.hidden = v.dataset.snap !== String(i);
    });
    document.querySelectorAll(".heaptabs button").forEach(function (b) {
      b.classList.toggle("active", b.dataset.snap === String(i));
    });
  }
  document.querySelectorAll(".heaptabs button, line.snap").forEach(function (b) {
    b.addEventListener("click", function () {
      showHeap(b.dataset.snap);
      if (b.tagName.toLowerCase() === "line") document.getElementById("s-heap").scrollIntoView();
    });
  });

  // ---- a page-table row marks its pages on the address chart
  function axisY(addr) {
    for (var i = 0; i < data.axis.length; i++) {
      var p = data.axis[i];
      if (addr >= p[0] && addr <= p[1]) return p[2] + ((p[1] - addr) / (p[1] - p[0])) * p[3];
    }
    return 0;
  }
  document.querySelectorAll("tr.pte").forEach(function (row) {
    row.addEventListener("click", function () {
      document.querySelectorAll("tr.pte.picked").forEach(function (r) { r.classList.remove("picked"); });
      row.classList.add("picked");
      var plot = space.querySelector("svg.view.xy");
      var old = plot.querySelector("rect.highlight");
      if (old) old.remove();
      var lo = parseInt(row.dataset.va, 16), hi = parseInt(row.dataset.end, 16);
      var top = axisY(hi), bottom = axisY(lo);
      var r = document.createElementNS(NS, "rect");
      r.setAttribute("class", "highlight");
      r.setAttribute("x", 0); r.setAttribute("width", PLOT);
      r.setAttribute("y", top); r.setAttribute("height", Math.max(bottom - top, 1));
      plot.appendChild(r);
      readout.textContent = "marked " + row.dataset.va + "–" + row.dataset.end + " on the address space above";
      space.scrollIntoView({ block: "center" });
    });
  });

  apply();
})();
