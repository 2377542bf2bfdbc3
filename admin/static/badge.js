// The badge designer's live preview: the form as it is (unsaved) is posted to the preview
// route, which renders it with the kiosk's own code; the PNG comes back as a data: URL
// (the admin's CSP allows data: images, not blob:). data-state on the image says
// "waiting" (a change not yet sent), "loading", "ready" or "error"; data-version is the
// number of the preview shown, data-asked that of the last one asked for.
(function () {
  "use strict";
  var form = document.getElementById("badge-form");
  var image = document.getElementById("preview-image");
  var error = document.getElementById("preview-error");
  if (!form || !image) { return; }
  var timer = null;
  var asked = 0;
  function show(answer, version) {
    if (version !== asked) { return; }  // an older answer arriving late
    if (answer.ok) {
      answer.blob().then(function (blob) {
        var reader = new FileReader();
        reader.onload = function () {
          if (version !== asked) { return; }
          image.src = reader.result;
          error.hidden = true;
          image.dataset.state = "ready";
          image.dataset.version = String(version);
        };
        reader.readAsDataURL(blob);
      });
      return;
    }
    answer.json().then(function (body) {
      if (version !== asked) { return; }
      var lang = document.documentElement.lang === "en" ? "en" : "pl";
      error.textContent = (body.message && body.message[lang]) || String(answer.status);
      error.hidden = false;
      image.dataset.state = "error";
      image.dataset.version = String(version);
    });
  }
  function refresh() {
    asked += 1;
    var version = asked;
    image.dataset.asked = String(asked);
    image.dataset.state = "loading";
    fetch(image.dataset.url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (answer) { show(answer, version); })
      .catch(function () { if (version === asked) { image.dataset.state = "error"; } });
  }
  function later() {
    clearTimeout(timer);
    image.dataset.state = "waiting";
    timer = setTimeout(refresh, 250);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  document.getElementById("preview-profile").addEventListener("change", later);
  document.getElementById("preview-role").addEventListener("change", later);
}());
