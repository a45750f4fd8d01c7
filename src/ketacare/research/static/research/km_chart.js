/* Draws the research page's Kaplan-Meier relapse-free curves (stepped lines) with the
   locally served Chart.js; the table under the figure carries the same data. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("km-data");
    var canvas = document.getElementById("km-canvas");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var curves = JSON.parse(source.textContent);
    var datasets = Object.keys(curves).map(function (code) {
      return {
        label: code,
        stepped: "before",
        data: curves[code].map(function (p) { return { x: p.day, y: p.survival }; }),
      };
    });
    new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        maintainAspectRatio: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "Days since response" } },
          y: { min: 0, max: 1, title: { display: true, text: "Relapse-free" } },
        },
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
