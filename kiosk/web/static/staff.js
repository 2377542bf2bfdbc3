/* Staff mode: leaves by itself when idle, an on-screen PIN keypad for the touchscreen,
   search while typing. Every page also works without this file. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };

  // -- leave staff mode when nobody uses it (the kiosk stands in public) ------------------------

  var idleSeconds = parseFloat(document.body.dataset.idleSeconds) || 0;
  if (idleSeconds > 0) {
    var idleTimer = null;
    var leave = function () {
      var form = $("logout-form");
      if (form) form.submit(); else window.location.href = "/";
    };
    var reset = function () {
      window.clearTimeout(idleTimer);
      idleTimer = window.setTimeout(leave, (idleSeconds + 1) * 1000);
    };
    ["keydown", "pointerdown", "input", "wheel", "touchstart"].forEach(function (type) {
      window.addEventListener(type, reset, { passive: true });
    });
    reset();
  }

  // -- the result of a check-in gets the focus, so it is read out first -------------------------

  var outcome = $("outcome");
  if (outcome) outcome.focus();

  // -- PIN keypad --------------------------------------------------------------------------------

  var keypad = $("keypad");
  var pin = $("pin");
  if (keypad && pin) {
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-digit]");
      if (!button) return;
      var digit = button.dataset.digit;
      if (digit === "back") pin.value = pin.value.slice(0, -1);
      else if (pin.value.length < 12) pin.value += digit;
    });
  }

  // -- search while typing -----------------------------------------------------------------------

  var form = $("search-form");
  var input = $("q");
  var list = $("results");
  var count = $("results-count");
  var template = $("person-template");
  if (!form || !input || !list || !template || !window.fetch) return;

  var words = {};
  try { words = JSON.parse($("search-strings").textContent); } catch (e) { words = {}; }
  var pending = null;
  var latest = 0;

  function render(results, query) {
    var items = results.map(function (p) {
      var node = template.content.firstElementChild.cloneNode(true);
      node.querySelector("[data-field=name]").textContent = p.name;
      node.querySelector("[data-field=institution]").textContent = p.institution;
      node.querySelector("[data-field=role]").textContent = p.role;
      var state = node.querySelector("[data-field=state]");
      state.textContent = "";
      if (!p.active) {
        var strong = document.createElement("strong");
        strong.textContent = words.cancelled || "";
        state.appendChild(strong);
      } else if (p.state) {
        state.textContent = p.state;
      }
      state.classList.toggle("inside", Boolean(p.active && p.inside));
      node.querySelectorAll("[data-field=name-sr]").forEach(function (el) {
        el.textContent = ": " + p.name;
      });
      node.querySelectorAll("input[name=attendee_id]").forEach(function (el) {
        el.value = String(p.id);
      });
      node.querySelectorAll("input[name=q]").forEach(function (el) { el.value = query; });
      return node;
    });
    list.replaceChildren.apply(list, items);
    count.textContent = query ? (words.found || "") + results.length : "";
  }

  function search() {
    var query = input.value.trim();
    var ticket = ++latest;
    var url = form.dataset.jsonUrl + "?q=" + encodeURIComponent(query);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (resp) {
        if (resp.status === 401) { window.location.reload(); return null; }
        if (!resp.ok) throw new Error(String(resp.status));
        return resp.json();
      })
      .then(function (data) {
        if (!data || ticket !== latest) return;
        render(data.results || [], query);
        var address = window.location.pathname + (query ? "?q=" + encodeURIComponent(query) : "");
        window.history.replaceState(null, "", address);
      })
      .catch(function () {
        if (ticket === latest) count.textContent = words.error || "";
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(search, 250);
  });
})();
