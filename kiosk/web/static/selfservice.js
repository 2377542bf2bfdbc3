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
  var live = $("self-timer-live");
  var template = body.dataset.timerText || "{s}";
  function showLeft(announce) {
    var text = template.replace("{s}", String(left));
    if (timer) timer.textContent = text;  // seen every second
    if (live && announce) live.textContent = text;  // heard every ten, and at the end
  }
  function touched() { left = idle; showLeft(false); }
  ["keydown", "pointerdown", "input"].forEach(function (kind) {
    document.addEventListener(kind, touched, true);
  });
  window.setInterval(function () {
    left -= 1;
    if (left <= 0) { window.location.assign(body.dataset.home || "/"); return; }
    showLeft(left % 10 === 0 || left <= 5);
  }, 1000);

  // -- a badge scanned meanwhile (the next person did not wait): its result, here ----------------
  var ICONS = { ok: "\u2713", warn: "!", error: "\u2715" };
  if (window.EventSource && body.dataset.eventsUrl) {
    var source = new EventSource(body.dataset.eventsUrl);
    source.addEventListener("scan", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data || data.source === "self_service" || !data.title) return;
      var lang = document.documentElement.lang === "en" ? "en" : "pl";
      var main = $("main");
      main.textContent = "";
      var box = document.createElement("div");
      box.className = "outcome tone-" + (ICONS[data.tone] ? data.tone : "warn");
      box.setAttribute("role", "alert");
      box.id = "scan-result";
      var icon = document.createElement("span");
      icon.className = "icon";
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = ICONS[data.tone] || "!";
      var words = document.createElement("div");
      var title = document.createElement("h1");
      title.textContent = data.title[lang] || "";
      var detail = document.createElement("p");
      detail.textContent = (data.detail && data.detail[lang]) || "";
      words.appendChild(title);
      words.appendChild(detail);
      box.appendChild(icon);
      box.appendChild(words);
      main.appendChild(box);
      idle = Math.max(3, Math.round(data.seconds || 6));
      left = idle;
      showLeft(false);
    });
  }

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
