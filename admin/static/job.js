// Polls a background job and moves its progress bar; reloads the page when it ends.
// Elements with data-job-key show job.result[key] (or job.total); #job-eta the time left.
(function () {
  "use strict";
  var box = document.getElementById("job");
  var state = document.getElementById("job-state");
  if (!box || state.dataset.status !== "running") { return; }
  var bar = document.getElementById("job-progress");
  var eta = document.getElementById("job-eta");
  var first = null;
  function show(job) {
    var keys = box.querySelectorAll("[data-job-key]");
    for (var i = 0; i < keys.length; i++) {
      var key = keys[i].dataset.jobKey;
      var value = key === "total" ? job.total : (job.result || {})[key];
      if (value !== undefined) { keys[i].textContent = value; }
    }
    if (!eta) { return; }
    var now = Date.now();
    if (first === null) { first = { at: now, done: job.done }; return; }
    var rate = (job.done - first.done) / ((now - first.at) / 1000);
    if (rate > 0 && job.total > job.done) {
      var minutes = Math.max(1, Math.round((job.total - job.done) / rate / 60));
      eta.textContent = "· " + eta.dataset.label + " " + minutes + " " + eta.dataset.unit;
    }
  }
  function poll() {
    fetch(box.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.max = job.total || 1;
        bar.value = job.done;
        show(job);
        if (job.status === "running") { setTimeout(poll, 500); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}());
