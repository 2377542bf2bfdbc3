/* Self-service without a QR: the on-screen keyboard, live results while the surname is
   typed, and the countdown back to the scan screen. Every step also works without it. */
(function () {
  "use strict";

  var body = document.body;
  var $ = function (id) { return document.getElementById(id); };
  var words = {};
  try { words = JSON.parse(($("self-words") || {}).textContent || "{}"); } catch (e) { words = {}; }

  // -- the countdown ----------------------------------------------------------------------------
  var idle = parseInt(body.dataset.idleSeconds, 10) || 60;
  var left = idle;
  var timer = $("self-timer");
  var template = body.dataset.timerText || "{s}";
  function showLeft() {
    if (timer) timer.textContent = template.replace("{s}", String(left));
  }
  function touched() { left = idle; showLeft(); }
  ["keydown", "pointerdown", "input"].forEach(function (kind) {
    document.addEventListener(kind, touched, true);
  });
  window.setInterval(function () {
    left -= 1;
    if (left <= 0) { window.location.assign(body.dataset.home || "/"); return; }
    // Announced only every ten seconds and at the end, not every second.
    if (left % 10 === 0 || left <= 5) showLeft();
  }, 1000);

  // -- the on-screen keyboard ---------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll(".keyboard"), function (board) {
    var input = $(board.dataset.target);
    if (!input) return;
    board.hidden = false;
    board.addEventListener("click", function (event) {
      var key = event.target.closest ? event.target.closest(".key") : null;
      if (!key) return;
      var value = input.value;
      if (key.dataset.key === "backspace") {
        input.value = value.slice(0, -1);
      } else if (input.value.length < (input.maxLength > 0 ? input.maxLength : 120)) {
        input.value = value + key.dataset.key;
      }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  // -- live results ---------------------------------------------------------------------------
  var form = $("surname-form");
  var surname = $("surname");
  var matches = $("matches");
  if (!form || !surname || !matches || !form.dataset.lookupUrl) return;
  var lang = document.documentElement.lang;
  var pending = null;
  var asked = 0;

  function note(text, warn) {
    var p = document.createElement("p");
    p.className = warn ? "note tone-warn" : "note";
    p.id = "matches-note";
    if (warn) {
      var icon = document.createElement("span");
      icon.className = "icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "!";
      p.appendChild(icon);
      p.appendChild(document.createTextNode(" "));
    }
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function render(data, typed) {
    var heading = $("matches-heading");
    matches.textContent = "";
    if (heading) matches.appendChild(heading);
    if (data.too_many) { matches.appendChild(note(words.too_many, true)); return; }
    if (!data.matches.length) {
      if (typed.replace(/\s/g, "").length >= 2) matches.appendChild(note(words.none, true));
      return;
    }
    matches.appendChild(note(words.pick, false));
    var list = document.createElement("ul");
    list.className = "match-list";
    list.id = "match-list";
    data.matches.forEach(function (m) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "match";
      a.href = form.dataset.confirmUrl + "?" + new URLSearchParams({
        attendee: String(m.id), surname: typed, lang: lang }).toString();
      var name = document.createElement("strong");
      name.textContent = m.first_name;
      a.appendChild(name);
      if (m.institution) {
        var inst = document.createElement("span");
        inst.textContent = m.institution;
        a.appendChild(inst);
      }
      li.appendChild(a);
      list.appendChild(li);
    });
    matches.appendChild(list);
  }

  function lookup() {
    var typed = surname.value;
    var mine = ++asked;
    fetch(form.dataset.lookupUrl + "?" + new URLSearchParams({ surname: typed }).toString(),
          { headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) { if (data && mine === asked) render(data, typed); })
      .catch(function () { /* the form still works: Search sends it */ });
  }

  surname.addEventListener("input", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(lookup, 120);
  });
})();
