/* Draws every [data-trajectory-chart] figure with the locally served Chart.js:
   scores over time, shaded severity bands, the remission line and dose markers.
   The figure's caption and table carry the same data for screen readers; if this
   script or Chart.js does not load, the table still works. */
(function () {
  "use strict";

  // Light fills from least to most severe band (reads in greyscale too: darker = worse).
  var BAND_FILLS = [
    "rgba(31, 122, 58, 0.10)",
    "rgba(138, 154, 0, 0.12)",
    "rgba(200, 140, 0, 0.14)",
    "rgba(200, 80, 0, 0.16)",
    "rgba(165, 29, 36, 0.18)",
  ];

  function formatDate(ms) {
    return new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  }

  function bandFill(index, count) {
    var step = count > 1 ? (BAND_FILLS.length - 1) / (count - 1) : 0;
    return BAND_FILLS[Math.round(index * step)];
  }

  var backdrop = {
    id: "ketacareTrajectoryBackdrop",
    beforeDatasetsDraw: function (chart, _args, options) {
      var ctx = chart.ctx;
      var area = chart.chartArea;
      var x = chart.scales.x;
      var y = chart.scales.y;
      ctx.save();
      (options.bands || []).forEach(function (band, i, all) {
        // A band of whole-number totals min..max covers the strip [min - 0.5, max + 0.5].
        var top = y.getPixelForValue(Math.min(band.max_total + 0.5, y.max));
        var bottom = y.getPixelForValue(Math.max(band.min_total - 0.5, y.min));
        ctx.fillStyle = bandFill(i, all.length);
        ctx.fillRect(area.left, top, area.right - area.left, bottom - top);
        ctx.fillStyle = "#5b6775";
        ctx.font = "11px system-ui, sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(band.label, area.right - 4, top + 12);
      });
      if (options.remission !== null && options.remission !== undefined) {
        var ry = y.getPixelForValue(options.remission + 0.5);
        ctx.strokeStyle = "#1f7a3a";
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(area.left, ry);
        ctx.lineTo(area.right, ry);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = "#1f7a3a";
        ctx.textAlign = "left";
        ctx.fillText("Remission (" + options.remission + " or below)", area.left + 4, ry - 4);
      }
      (options.doses || []).forEach(function (ms) {
        var dx = x.getPixelForValue(ms);
        if (dx < area.left || dx > area.right) { return; }
        ctx.strokeStyle = "rgba(31, 95, 168, 0.45)";
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 3]);
        ctx.beginPath();
        ctx.moveTo(dx, area.top);
        ctx.lineTo(dx, area.bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };

  function draw(figure) {
    if (figure.dataset.drawn) { return; }
    var source = document.getElementById(figure.dataset.source);
    var canvas = figure.querySelector("canvas");
    if (!source || !canvas || !window.Chart) { return; }
    figure.dataset.drawn = "1";
    var data = JSON.parse(source.textContent);
    var points = (data.points || []).map(function (p) { return { x: Date.parse(p.at), y: p.total, band: p.band_label }; });
    var doses = (data.doses || []).map(function (d) { return { x: Date.parse(d.at), y: data.min_total || 0, label: d.label }; });
    var xs = points.map(function (p) { return p.x; }).concat(doses.map(function (d) { return d.x; }));
    var pad = 2 * 24 * 3600 * 1000;
    var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: data.instrument_label || "Score",
            data: points,
            borderColor: "#1f5fa8",
            backgroundColor: "#1f5fa8",
            pointRadius: 4,
            pointHoverRadius: 6,
            tension: 0,
          },
          {
            label: "Dose",
            type: "scatter",
            data: doses,
            pointStyle: "triangle",
            pointRadius: 7,
            borderColor: "#1d2733",
            backgroundColor: "#1d2733",
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        parsing: false,
        scales: {
          x: {
            type: "linear",
            min: Math.min.apply(null, xs) - pad,
            max: Math.max.apply(null, xs) + pad,
            ticks: { callback: function (v) { return formatDate(v); }, maxTicksLimit: 6 },
          },
          y: {
            min: data.min_total || 0,
            max: data.max_total,
            ticks: { stepSize: 5 },
            title: { display: true, text: "Score" },
          },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? formatDate(items[0].raw.x) : ""; },
              label: function (item) {
                if (item.dataset.type === "scatter") { return "Dose" + (item.raw.label ? ": " + item.raw.label : ""); }
                return (data.instrument_label || "Score") + " " + item.raw.y + (item.raw.band ? " (" + item.raw.band + ")" : "");
              },
            },
          },
          ketacareTrajectoryBackdrop: {
            bands: data.bands || [],
            remission: data.remission_max_total,
            doses: doses.map(function (d) { return d.x; }),
          },
        },
      },
      plugins: [backdrop],
    });
  }

  function drawAll() {
    document.querySelectorAll("[data-trajectory-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
