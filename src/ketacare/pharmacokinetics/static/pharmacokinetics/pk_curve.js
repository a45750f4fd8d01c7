// Draws the PK panel with the locally vendored Chart.js when it is available; the
// server-rendered SVG stays visible otherwise (and the table is always the accessible summary).
(function () {
  var data = document.getElementById("pk-chart-data");
  if (!data || typeof window.Chart === "undefined") return;
  var panel = data.closest(".pk-panel");
  var canvas = panel.querySelector(".pk-chart");
  var values = JSON.parse(data.textContent);
  var points = function (ys) {
    return values.times_min.map(function (t, i) { return { x: t / 60, y: ys[i] }; });
  };
  new window.Chart(canvas, {
    type: "line",
    data: {
      datasets: [
        { label: "Proposed", data: points(values.proposed), borderColor: "#1d4ed8", pointRadius: 0 },
        { label: "Reference", data: points(values.reference), borderColor: "#888", borderDash: [6, 4], pointRadius: 0 }
      ]
    },
    options: {
      animation: false,
      scales: {
        x: { type: "linear", title: { display: true, text: "hours" } },
        y: { beginAtZero: true, title: { display: true, text: "ng/mL" } }
      }
    }
  });
  canvas.hidden = false;
  panel.querySelector(".pk-curve").style.display = "none";
})();
