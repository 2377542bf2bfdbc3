// Live dashboard: polls the JSON endpoint and redraws tiles, tables and the arrivals chart.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var pl = root.dataset.lang === "pl";  // the date format only: words come from the page
  var zone = root.dataset.timezone || "Europe/Warsaw";  // the event's (sync.timekeeping)
  var words = {};
  try { words = JSON.parse(root.dataset.words); } catch (e) { words = {}; }  // admin/dashboard.py
  function w(key) { return Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key; }
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c === null ? "—" : String(c); }
      tr.appendChild(td);
    });
    return tr;
  }
  function bar(value, max) {
    var wrap = el("div", undefined, "bar" + (max !== null && value > max ? " over" : ""));
    var fill = el("span");
    var pct = max ? Math.min(100, Math.round(100 * value / max)) : 0;
    fill.style.width = pct + "%";
    wrap.appendChild(fill);
    wrap.title = value + (max !== null ? " / " + max : "");
    return wrap;
  }
  function replace(id, nodes) {
    var box = document.getElementById(id);
    box.textContent = "";
    nodes.forEach(function (n) { box.appendChild(n); });
  }
  function chart(points) {
    var svg = document.getElementById("arrivals");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    if (!points.length) { return; }
    // Fill the gaps so the x axis is time: one slot per 15 minutes, at least 4 hours wide.
    var step = 15 * 60 * 1000;
    var first = Date.parse(points[0].t);
    var last = Date.parse(points[points.length - 1].t);
    var byTime = {};
    points.forEach(function (p) { byTime[Date.parse(p.t)] = p.n; });
    var filled = [];
    for (var t = first; t <= Math.max(last, first + 15 * step); t += step) {
      filled.push({ t: new Date(t).toISOString(), n: byTime[t] || 0 });
    }
    points = filled;
    var max = Math.max.apply(null, points.map(function (p) { return p.n; }));
    var slot = 800 / points.length;
    points.forEach(function (p, i) {
      if (!p.n) { return; }
      var h = Math.max(1, Math.round(180 * p.n / max));
      var r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", String(i * slot + 1));
      r.setAttribute("y", String(200 - h));
      r.setAttribute("width", String(Math.max(1, slot - 2)));
      r.setAttribute("height", String(h));
      r.setAttribute("fill", "#0b5cad");
      var t = document.createElementNS(SVG, "title");
      var d = new Date(p.t);
      t.textContent = d.toLocaleString(pl ? "pl-PL" : "en-GB", { timeZone: zone }) + ": " + p.n;
      r.appendChild(t);
      svg.appendChild(r);
    });
    [0, points.length - 1].forEach(function (i) {
      var tick = document.createElementNS(SVG, "text");
      tick.setAttribute("x", String(i === 0 ? 4 : 796)); tick.setAttribute("y", "216");
      tick.setAttribute("font-size", "12");
      tick.setAttribute("text-anchor", i === 0 ? "start" : "end");
      tick.textContent = new Date(points[i].t).toLocaleTimeString(pl ? "pl-PL" : "en-GB",
        { timeZone: zone, hour: "2-digit", minute: "2-digit" });
      svg.appendChild(tick);
    });
    var label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "4"); label.setAttribute("y", "14"); label.setAttribute("font-size", "12");
    label.textContent = w("max") + " " + max;
    svg.appendChild(label);
  }
  function render(d) {
    document.getElementById("generated").textContent = d.generated_local;
    document.getElementById("checked-in").textContent = d.checked_in;
    document.getElementById("registered").textContent = d.registered;
    replace("per-day", d.per_day.map(function (x) { return el("div", x.day + ": " + x.checked_in); }));
    var flags = d.over_capacity.map(function (t) { return el("div", w("over_capacity") + ": " + t, "flag"); });
    if (d.duplicates.length) { flags.push(el("div", w("duplicates") + ": " + d.duplicates.length, "flag")); }
    (d.planning || []).forEach(function (t) { flags.push(el("div", w("plan") + ": " + t, "flag")); });
    var stale = d.kiosks.filter(function (k) { return k.stale; }).length;
    if (d.quarantined) { flags.push(el("div", w("quarantined") + ": " + d.quarantined, "flag")); }
    if (stale) { flags.push(el("div", w("stale_kiosks") + ": " + stale, "flag")); }
    if (!flags.length) { flags.push(el("div", w("none"), "badge-ok")); }
    replace("flags", flags);
    chart(d.arrivals);
    // Rooms under their venue's name, said once: not the venue (and its address) per row.
    var roomRows = [];
    var venue = null;
    d.rooms.forEach(function (r) {
      if (r.venue !== venue) {
        venue = r.venue;
        var head = document.createElement("tr");
        head.className = "venue";
        var th = el("th", venue);
        th.colSpan = 4;
        th.scope = "rowgroup";
        head.appendChild(th);
        roomRows.push(head);
      }
      var link = el("a", r.name);
      link.href = root.dataset.roomUrl.replace(/\/0\/inside$/, "/" + r.id + "/inside");
      var tr = row([link, r.sessions.join(", ") || "—", r.inside + (r.capacity !== null ? " / " + r.capacity : ""), bar(r.inside, r.capacity)]);
      if (r.over_capacity) { tr.className = "flag"; }
      tr.dataset.room = r.id;
      roomRows.push(tr);
    });
    replace("rooms", roomRows);
    replace("sessions", d.sessions.map(function (s) {
      var title = el("span", s.title + (s.over_capacity ? " (" + w("session_over_capacity") + ")" : "") + (s.duplicates ? " ⚠" + s.duplicates : ""));
      if (s.over_capacity) { title.className = "flag"; }
      var tr = row([s.starts + "–" + s.ends, title, s.room, s.registered, s.attended, s.inside, s.capacity]);
      tr.dataset.session = s.id;
      if (s.running) { tr.style.fontWeight = "bold"; }
      return tr;
    }));
    replace("kiosks", d.kiosks.map(function (k) {
      var contact = el("span", (k.last_contact_local || w("never")) +
        (k.stale && k.last_contact_local ? " (" + w("out_of_contact") + ")" : ""), k.stale ? "flag" : "");
      return row([k.name || k.id, k.plan, contact, k.queue, k.printer, k.camera, k.clock,
                  k.software || "–"]);
    }));
    if (!d.duplicates.length) { replace("duplicates", [el("li", w("none"), "muted")]); return; }
    replace("duplicates", d.duplicates.map(function (x) {
      var li = el("li", "");
      var a = el("a", x.name);
      a.href = x.url;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" · " + (x.where || w("entrance")) + " · " + x.day + " · " +
        x.first_kiosk + " " + x.first_at + " " + w("and") + " " + x.kiosk + " " + x.at));
      return li;
    }));
  }
  // Three different troubles, three different words: the admin cannot be reached (the
  // last figures stay), the login has expired (a link to log in again), or this page could
  // not draw what arrived (said as such, never as a lost connection).
  function problem(which, text) {
    ["offline", "expired", "render-error"].forEach(function (id) {
      document.getElementById(id).hidden = id !== which;
    });
    if (which === "render-error") { document.getElementById("render-error-detail").textContent = text; }
  }
  function poll() {
    fetch(root.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { return { expired: true }; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (d) {
        if (d.expired) { problem("expired"); return; }
        try {
          render(d);
          problem(null);
        } catch (e) {
          if (window.console) { console.error("dashboard render", e); }
          problem("render-error", String(e && e.message || e));
        }
      }, function () { problem("offline"); })
      .then(function () { setTimeout(poll, Number(root.dataset.interval) || 3000); });
  }
  poll();
}());
