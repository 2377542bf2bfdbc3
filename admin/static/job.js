// Polls a background job and moves its progress bar; reloads the page when it ends.
(function () {
  "use strict";
  var box = document.getElementById("job");
  var state = document.getElementById("job-state");
  if (!box || state.dataset.status !== "running") { return; }
  var bar = document.getElementById("job-progress");
  function poll() {
    fetch(box.dataset.url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.max = job.total || 1;
        bar.value = job.done;
        if (job.status === "running") { setTimeout(poll, 500); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}());
