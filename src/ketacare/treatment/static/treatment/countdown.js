// Observation countdowns: the server renders the minutes left (it is the authority, and htmx
// refreshes the region); between refreshes this only ticks the number down using elapsed
// time on this device, never the device's wall clock.
(function () {
  "use strict";
  function start(root) {
    (root || document).querySelectorAll("[data-remaining-min]").forEach(function (el) {
      if (el.dataset.countdownStarted) return;
      el.dataset.countdownStarted = "1";
      el.dataset.loadedAt = String(performance.now());
    });
  }
  function tick() {
    document.querySelectorAll("[data-remaining-min]").forEach(function (el) {
      var shown = el.querySelector(".timer-min");
      if (!shown) return;
      var elapsedMin = (performance.now() - Number(el.dataset.loadedAt || 0)) / 60000;
      var left = Math.max(0, Math.ceil(Number(el.dataset.remainingMin) - elapsedMin));
      shown.textContent = String(left);
    });
  }
  // The run sheet's "undo" button is offered for the minute after a reading was recorded
  // (the server refuses after it); hide it when that minute is up on this device.
  function expireUndo() {
    document.querySelectorAll("form[data-undo-seconds]").forEach(function (form) {
      if (!form.dataset.shownAt) form.dataset.shownAt = String(performance.now());
      var left = Number(form.dataset.undoSeconds) - (performance.now() - Number(form.dataset.shownAt)) / 1000;
      if (left <= 0) form.hidden = true;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { start(document); expireUndo(); });
  document.addEventListener("htmx:afterSwap", expireUndo);
  setInterval(expireUndo, 1000);
  document.addEventListener("htmx:afterSwap", function () { start(document); });
  setInterval(tick, 15000);
})();
