/* The clinic-day board marks what changed since the last refresh.

   The server gives each session row a fingerprint of what the team watches (data-version:
   state, next step, vitals checks due and overdue, alerts, assessments, the REMS form). After
   every render (the first load, each 30-second htmx poll, "Refresh now", a reload) this
   compares the rows with the previous render's, kept in this tab's sessionStorage (session
   ids, fingerprints and state names only), and marks each changed or new row in words
   ("Changed since 10:05, was Checked in"; colour only repeats it), with a one-line summary
   read out by screen readers. The minutes of a countdown ticking down are not a change.
   No inline script or handler: the page's Content-Security-Policy allows only local files. */
(function () {
  "use strict";
  var STORE = "ketacare.board.previous";

  function load() {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(STORE) || "null");
      return value && typeof value === "object" && value.rows ? value : null;
    } catch (e) {
      return null;
    }
  }

  function save(value) {
    try {
      window.sessionStorage.setItem(STORE, JSON.stringify(value));
    } catch (e) {
      /* storage refused: the board still works, it just cannot mark changes */
    }
  }

  function stateOf(row) {
    var badge = row.querySelector(".badge.state");
    return badge ? badge.textContent.trim() : "";
  }

  function mark() {
    var body = document.getElementById("board-body");
    if (!body || body.dataset.compared) return;
    body.dataset.compared = "1";
    var previous = load();
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr[data-session]"));
    var current = {};
    var changed = [];
    rows.forEach(function (row) {
      var id = row.dataset.session;
      current[id] = { v: row.dataset.version, state: stateOf(row) };
      if (!previous) return;
      var before = previous.rows[id];
      if (before && before.v === row.dataset.version) return;
      var words = before ? "Changed since " + previous.at : "New since " + previous.at;
      if (before && before.state && before.state !== current[id].state) {
        words += ", was " + before.state;
      }
      row.classList.add("row-changed");
      row.dataset.changed = before ? "changed" : "new";
      var note = row.querySelector(".change-note");
      if (note) {
        note.textContent = words;
        note.hidden = false;
      }
      changed.push(row.dataset.name || "a session");
    });
    var summary = document.getElementById("board-changes");
    if (summary) {
      summary.textContent = changed.length
        ? changed.length + (changed.length === 1 ? " session" : " sessions") +
          " changed since " + previous.at + ": " + changed.join("; ") + "."
        : "";
    }
    save({ at: body.dataset.updatedAt || "", rows: current });
  }

  document.addEventListener("DOMContentLoaded", mark);
  document.addEventListener("htmx:afterSettle", mark);
  if (document.readyState !== "loading") mark();
})();
