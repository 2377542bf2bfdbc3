// The person's print commands: while one is on its way, ask for their state every 3 s
// (sent -> taken for printing / failed with the kiosk's words).
(function () {
  "use strict";
  var list = document.getElementById("prints");
  if (!list) { return; }
  function open() { return list.querySelector("li[data-open='1']") !== null; }
  function draw(prints) {
    list.textContent = "";
    prints.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.text;
      li.dataset.status = p.status;
      li.dataset.open = p.open ? "1" : "0";
      if (p.status === "failed") { li.className = "flag"; }
      list.appendChild(li);
    });
  }
  function poll() {
    if (!open()) { return; }
    fetch(list.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) { draw(d.prints); })
      .catch(function () { /* the next round asks again */ })
      .then(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
}());
