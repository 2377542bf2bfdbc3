/* The attendee's screen: results arrive as server-sent events ("scan", "camera",
   "printer", "roster", "sync", "plan"), each carrying both languages. No framework, no network beyond this kiosk. */
(function () {
  "use strict";

  var LANG_KEY = "bramka.kiosk.lang";
  var ICONS = { ok: "\u2713", warn: "!", error: "\u2715" };
  var body = document.body;
  var $ = function (id) { return document.getElementById(id); };

  function readJson(id, fallback) {
    try { return JSON.parse($(id).textContent); } catch (e) { return fallback; }
  }

  var strings = readJson("screen-strings", {});
  var helpDesk = readJson("screen-help", { pl: "", en: "" });
  var printer = readJson("screen-printer", null);  // the printer's last state
  var defaultLang = body.dataset.defaultLang === "en" ? "en" : "pl";
  var defaultSeconds = parseFloat(body.dataset.resultSeconds) || 4;

  var els = {
    toggle: $("lang-toggle"), result: $("result"), icon: $("result-icon"),
    title: $("result-title"), detail: $("result-detail"), timer: $("result-timer"),
    announce: $("announce"), camera: $("camera-banner"), ready: $("ready-banner"),
    reconnecting: $("reconnecting"), preview: $("preview"), previewOff: $("preview-off"),
    help: $("help-desk"), printerNote: $("printer-note"), printerText: $("printer-text")
  };

  // A kiosk serves one stranger after another: a language chosen by one attendee
  // goes back to the kiosk's default after this long without a scan or a touch.
  var langResetMs = (parseFloat(body.dataset.langResetSeconds) || 60) * 1000;
  var langTimer = null;
  var lang = storedLang() || defaultLang;
  var shown = null;        // the scan payload on screen, or null when idle
  var hideTimer = null;
  var announceTimer = null;
  var audio = null;

  // -- language --------------------------------------------------------------------------------

  function storedLang() {
    try {
      var value = JSON.parse(window.localStorage.getItem(LANG_KEY) || "null");
      if (value && (value.lang === "pl" || value.lang === "en")
          && Date.now() - value.at < langResetMs) return value.lang;
    } catch (e) { /* private mode or an old value */ }
    return null;
  }

  function rememberLang() {
    try {
      window.localStorage.setItem(LANG_KEY, JSON.stringify({ lang: lang, at: Date.now() }));
    } catch (e) { /* private mode */ }
    window.clearTimeout(langTimer);
    if (lang === defaultLang) return;
    langTimer = window.setTimeout(function () {
      if (shown) { rememberLang(); return; }
      lang = defaultLang;
      try { window.localStorage.removeItem(LANG_KEY); } catch (e) { /* private mode */ }
      applyLanguage();
    }, langResetMs);
  }

  function stillHere() {
    if (lang !== defaultLang) rememberLang();
  }

  // "I have no code" opens self-service in the language on screen now.
  var noCode = $("no-code");
  if (noCode) {
    noCode.addEventListener("click", function () {
      noCode.href = noCode.href.split("?")[0] + "?lang=" + encodeURIComponent(lang);
    });
  }

  function text(key) {
    var entry = strings[key];
    return entry ? (entry[lang] || entry.pl || "") : "";
  }

  function pick(value) {
    if (value && typeof value === "object") return value[lang] || value.pl || value.en || "";
    return value ? String(value) : "";
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    body.dataset.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = text(el.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-alt]").forEach(function (el) {
      el.alt = text(el.dataset.i18nAlt);
    });
    els.toggle.textContent = text("toggle");
    els.toggle.lang = text("toggle_lang");
    els.help.textContent = helpDesk[lang] || "";
    renderPrinter();
    if (shown) renderResult(shown);
  }

  els.toggle.addEventListener("click", function () {
    lang = lang === "pl" ? "en" : "pl";
    rememberLang();
    applyLanguage();
    if (shown) announce(spoken(shown));
  });

  // -- sound (WebAudio; no files; silence is fine when audio is blocked) -------------------------

  function unlockAudio() {
    try {
      if (!audio) {
        var Ctx = window.AudioContext || window.webkitAudioContext;
        if (!Ctx) return null;
        audio = new Ctx();
      }
      if (audio.state === "suspended" && audio.resume) {
        var resumed = audio.resume();
        if (resumed && resumed.catch) resumed.catch(function () {});
      }
    } catch (e) { audio = null; }
    return audio;
  }

  function play(tone) {
    try {
      var ctx = unlockAudio();
      if (!ctx) return;
      // [frequency Hz, start s, length s, waveform, volume]
      var notes = tone === "ok"
        ? [[660, 0, 0.13, "sine", 0.3], [990, 0.14, 0.22, "sine", 0.3]]
        : tone === "warn"
          ? [[220, 0, 0.18, "square", 0.12], [220, 0.26, 0.18, "square", 0.12]]
          : [[140, 0, 0.5, "sawtooth", 0.15]];
      var t0 = ctx.currentTime + 0.02;
      notes.forEach(function (n) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        var start = t0 + n[1];
        var end = start + n[2];
        osc.type = n[3];
        osc.frequency.setValueAtTime(n[0], start);
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(n[4], start + 0.02);
        gain.gain.setValueAtTime(n[4], end - 0.04);
        gain.gain.exponentialRampToValueAtTime(0.0001, end);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(start);
        osc.stop(end + 0.05);
      });
    } catch (e) { /* the screen and the live region still tell the result */ }
  }

  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    window.addEventListener(type, unlockAudio, { passive: true });
    window.addEventListener(type, stillHere, { passive: true });
  });

  // -- results ---------------------------------------------------------------------------------

  function toneOf(payload) {
    return payload.tone === "ok" || payload.tone === "warn" ? payload.tone : "error";
  }

  function renderResult(payload) {
    var tone = toneOf(payload);
    els.result.className = "result tone-" + tone;
    var mark = document.createElement("span");
    mark.textContent = payload.icon || ICONS[tone];
    els.icon.replaceChildren(mark);
    els.title.textContent = pick(payload.title);
    els.detail.textContent = pick(payload.detail);
  }

  function spoken(payload) {
    var title = pick(payload.title);
    var detail = pick(payload.detail);
    if (!detail) return title;
    return title + (/[.!?…]$/.test(title) ? " " : ". ") + detail;
  }

  function announce(message) {
    // Emptied first, so the same words twice in a row are still read out.
    els.announce.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () { els.announce.textContent = message; }, 60);
  }

  function showResult(payload) {
    var seconds = parseFloat(payload.seconds);
    if (!(seconds > 0)) seconds = defaultSeconds;
    shown = payload;
    renderResult(payload);
    els.result.hidden = false;
    body.classList.add("showing-result");
    els.timer.classList.remove("run");
    els.timer.style.setProperty("--seconds", seconds + "s");
    void els.timer.offsetWidth; // restart the countdown animation
    els.timer.classList.add("run");
    announce(spoken(payload));
    play(toneOf(payload));
    stillHere();
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hideResult, seconds * 1000);
  }

  function hideResult() {
    shown = null;
    els.result.hidden = true;
    body.classList.remove("showing-result");
    els.timer.classList.remove("run");
    els.announce.textContent = "";
  }

  // -- camera and preview ----------------------------------------------------------------------

  var previewUrl = body.dataset.previewUrl;
  var hasPreview = body.dataset.hasPreview === "yes";
  var previewRetry = null;
  var cameraUp = true;

  function startPreview() {
    if (!hasPreview || !els.preview) return;
    window.clearTimeout(previewRetry);
    els.preview.src = previewUrl + "?t=" + Date.now();
  }

  if (els.preview) {
    els.preview.addEventListener("load", function () {
      els.preview.hidden = false;
      els.previewOff.hidden = true;
    });
    els.preview.addEventListener("error", function () {
      els.preview.hidden = true;
      els.previewOff.hidden = false;
      window.clearTimeout(previewRetry);
      previewRetry = window.setTimeout(startPreview, 3000);
    });
  }

  function cameraState(data) {
    var status = data && data.status;
    var down = status === "unavailable" || status === "stopped";
    els.camera.hidden = !down;
    body.classList.toggle("camera-down", down);
    if (!down && status === "running" && !cameraUp) startPreview();
    cameraUp = !down;
  }

  // -- printer: a small footer line while it cannot print -----------------------------------------
  // Same rules as screen_printer_note in kiosk/web/i18n.py: keep the two alike.

  var PRINTER_QUIET = ["ready", "off", "unknown", ""];

  function printerNote(state) {
    var status = state && typeof state.status === "string" ? state.status : "";
    if (PRINTER_QUIET.indexOf(status) >= 0) return "";
    var words = Object.prototype.hasOwnProperty.call(strings, "printer_" + status)
      ? text("printer_" + status) : "";
    if (!words) {
      var own = typeof state[lang] === "string" ? state[lang].trim().replace(/\.+$/, "") : "";
      words = own || text("printer_other");
    }
    return words + " \u2014 " + text("printer_help");
  }

  function renderPrinter() {
    if (!els.printerNote) return;
    var note = printerNote(printer);
    els.printerText.textContent = note;
    els.printerNote.hidden = !note;
  }

  // -- events ----------------------------------------------------------------------------------

  var eventsUrl = body.dataset.eventsUrl;
  var reconnectTimer = null;
  var markerTimer = null;

  function setReconnecting(on) {
    window.clearTimeout(markerTimer);
    if (on) {
      // A short blip is not worth a marker; a lasting one is.
      markerTimer = window.setTimeout(function () { els.reconnecting.hidden = false; }, 1200);
    } else {
      els.reconnecting.hidden = true;
    }
  }

  // -- enrollment and plan ---------------------------------------------------------------------
  // A fresh kiosk (no enrollment, no roster) says, full screen, how to enroll it; once
  // enrolled it says it is downloading, and once the roster is in it is the scan screen.

  var rosterSize = body.dataset.ready === "yes" ? 1 : 0;
  var syncStatus = body.dataset.enrolled === "yes" ? "ok" : "not_enrolled";
  var planRevision = parseInt(body.dataset.planRevision, 10) || 0;

  function renderEnrollment() {
    var enroll = document.getElementById("enroll");
    var steps = document.getElementById("enroll-steps");
    var waiting = rosterSize === 0 && (syncStatus === "not_enrolled" || syncStatus === "ok");
    enroll.hidden = !waiting;
    document.getElementById("prompt").hidden = waiting;
    steps.dataset.i18n = syncStatus === "not_enrolled" ? "enroll_steps" : "enroll_loading";
    steps.textContent = text(steps.dataset.i18n);
    els.ready.hidden = rosterSize > 0 || waiting;
  }

  function reloadWhenIdle() {
    if (shown) { window.setTimeout(reloadWhenIdle, 500); return; }
    window.location.reload();
  }

  function parse(event) {
    try { return JSON.parse(event.data); } catch (e) { return null; }
  }

  function connect() {
    if (!window.EventSource) return;
    var source = new EventSource(eventsUrl);
    source.addEventListener("open", function () { setReconnecting(false); });
    source.addEventListener("error", function () {
      setReconnecting(true);
      if (source.readyState === 2) { // CLOSED: the browser gave up; we do not
        source.close();
        window.clearTimeout(reconnectTimer);
        reconnectTimer = window.setTimeout(connect, 3000);
      }
    });
    source.addEventListener("scan", function (e) {
      var payload = parse(e);
      if (payload) showResult(payload);
    });
    source.addEventListener("camera", function (e) {
      var data = parse(e);
      if (data) cameraState(data);
    });
    source.addEventListener("printer", function (e) {
      var data = parse(e);
      if (data) { printer = data; renderPrinter(); }
    });
    source.addEventListener("roster", function (e) {
      var data = parse(e);
      if (data && typeof data.size === "number") {
        rosterSize = data.size;
        renderEnrollment();
      }
    });
    source.addEventListener("sync", function (e) {
      var data = parse(e);
      if (data && typeof data.status === "string") {
        syncStatus = data.status;
        renderEnrollment();
      }
    });
    source.addEventListener("plan", function (e) {
      var data = parse(e);
      // A new plan may change the language, the help desk, the timing: load the page again
      // (after the result on screen, if any, has been shown).
      if (data && typeof data.revision === "number" && data.revision !== planRevision) {
        planRevision = data.revision;
        reloadWhenIdle();
      }
    });
  }

  // -- handheld scanner ------------------------------------------------------------------------
  // A keyboard-wedge scanner "types" the code and Enter within milliseconds; people do
  // not. Such a burst goes to /api/scan; its result comes back as a "scan" event.

  var scanUrl = body.dataset.scanUrl;
  var typed = "";
  var lastKey = 0;

  window.addEventListener("keydown", function (event) {
    if (!scanUrl || event.ctrlKey || event.altKey || event.metaKey) return;
    var now = event.timeStamp || Date.now();
    if (now - lastKey > 120) typed = "";
    lastKey = now;
    if (event.key === "Enter") {
      if (typed.length >= 8) {
        event.preventDefault();
        var code = typed;
        typed = "";
        fetch(scanUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ code: code }),
          credentials: "same-origin"
        }).catch(function () { setReconnecting(true); });
      }
      typed = "";
    } else if (event.key.length === 1) {
      typed += event.key;
    }
  });

  applyLanguage();
  stillHere();  // a language kept over a reload still expires
  startPreview();
  connect();
})();
