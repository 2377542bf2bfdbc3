// Search as you type: asks the server after a short pause, shows the newest answer only.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  if (!input || !list) { return; }
  var timer = null;
  var asked = 0;
  function render(results) {
    // The same answer again (a slower, earlier request's twin) leaves the list alone: a
    // volunteer who has tabbed into it keeps the focus where it is.
    var key = JSON.stringify(results.map(function (r) { return [r.id, r.status, r.checked_in]; }))
      + "|" + (results.length ? "" : input.value.trim() ? "none" : "empty");
    if (list.dataset.key === key) { return; }
    list.dataset.key = key;
    list.textContent = "";
    if (!results.length && input.value.trim()) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = input.dataset.none;
      list.appendChild(empty);
      return;
    }
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      var name = document.createElement("strong");
      name.textContent = r.name;
      a.appendChild(name);
      if (r.checked_in) {
        var ok = document.createElement("span");
        ok.className = "badge-ok";
        ok.textContent = " \u2713 " + input.dataset.yes;
        a.appendChild(ok);
      }
      if (r.status === "cancelled") {
        var c = document.createElement("span");
        c.className = "flag";
        c.textContent = " " + input.dataset.cancelled;
        a.appendChild(c);
      }
      a.appendChild(document.createElement("br"));
      var sub = document.createElement("span");
      sub.className = "sub";
      sub.textContent = [r.institution, r.email].filter(Boolean).join(" \u00b7 ");
      a.appendChild(sub);
      li.appendChild(a);
      list.appendChild(li);
    });
  }
  function ask() {
    var q = input.value.trim();
    var mine = ++asked;
    if (!q) { render([]); return; }
    fetch(input.dataset.url + "?q=" + encodeURIComponent(q),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === asked) { render(data.results); } })
      .catch(function () { /* keep the last results; the next keystroke asks again */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  input.form.addEventListener("submit", function (e) {
    var first = list.querySelector("a");
    if (first) { e.preventDefault(); window.location = first.href; }
  });
}());
