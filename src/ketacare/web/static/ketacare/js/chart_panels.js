/* The patient chart's collapsible panels open where the user left them.

   Each panel is a <details data-panel="KEY">; which are open is kept in this browser's
   localStorage under one key, by panel key only (no patient data), so every chart opens with
   the sections the user last had open. The section links open their panel before jumping
   to it, "Open all" / "Close all" set every panel, and printing opens every panel for the
   paper copy without changing what is remembered. A [data-print] button prints the page.
   No inline script or handler: the page's Content-Security-Policy allows only local files. */
(function () {
  "use strict";
  var STORE = "ketacare.chart.panels";
  var printing = false;

  function load() {
    try {
      var value = JSON.parse(window.localStorage.getItem(STORE) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (e) {
      return {};
    }
  }

  function save(states) {
    try {
      window.localStorage.setItem(STORE, JSON.stringify(states));
    } catch (e) {
      /* storage full or refused: the panels still work, they are just not remembered */
    }
  }

  function panels() {
    return Array.prototype.slice.call(document.querySelectorAll("details[data-panel]"));
  }

  function remember(panel) {
    if (printing) return;
    var states = load();
    states[panel.dataset.panel] = panel.open;
    save(states);
  }

  function restore() {
    var states = load();
    panels().forEach(function (panel) {
      var key = panel.dataset.panel;
      if (Object.prototype.hasOwnProperty.call(states, key)) panel.open = !!states[key];
    });
  }

  function openFromHash() {
    var key = window.location.hash.slice(1);
    if (!key) return;
    var target = document.getElementById(key);
    var panel = target ? target.closest("details[data-panel]") : null;
    if (panel && !panel.open) {
      panel.open = true;
      remember(panel);
    }
  }

  function setAll(open) {
    var states = load();
    panels().forEach(function (panel) {
      panel.open = open;
      states[panel.dataset.panel] = open;
    });
    save(states);
  }

  function init() {
    restore();
    openFromHash();
    panels().forEach(function (panel) {
      panel.addEventListener("toggle", function () {
        remember(panel);
      });
    });
    document.addEventListener("click", function (event) {
      var target = event.target instanceof Element ? event.target : null;
      if (!target) return;
      var link = target.closest("a[data-open-panel]");
      if (link) {
        var panel = document.querySelector(
          'details[data-panel="' + link.dataset.openPanel + '"]'
        );
        if (panel && !panel.open) {
          panel.open = true;
          remember(panel);
        }
        return;
      }
      var all = target.closest("button[data-panels]");
      if (all) {
        setAll(all.dataset.panels === "open");
        return;
      }
      if (target.closest("button[data-print]")) window.print();
    });
    window.addEventListener("hashchange", openFromHash);
    window.addEventListener("beforeprint", function () {
      printing = true;
      panels().forEach(function (panel) {
        panel.dataset.wasOpen = panel.open ? "1" : "";
        panel.open = true;
      });
    });
    window.addEventListener("afterprint", function () {
      panels().forEach(function (panel) {
        panel.open = panel.dataset.wasOpen === "1";
      });
      window.setTimeout(function () {
        printing = false;
      }, 0);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
