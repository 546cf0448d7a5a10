// acctflow ops console: live updates over Server-Sent Events. A region page
// moves each changed request's row to the group it now waits in; a request
// page reads its panel again when the request changes. No polling: the
// server pushes every change, and a page that fell behind reads itself
// again once.
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  var state = document.getElementById("live-state");
  refreshAges();
  setInterval(refreshAges, 30000); // local clock only: ages of the rows shown
  if (!root || !root.dataset.live || !window.EventSource) return;

  var kind = root.dataset.live;
  var region = root.dataset.region;
  var request = root.dataset.request;
  var url = "/ui/events?since=" + encodeURIComponent(root.dataset.cursor || "") +
    (kind === "region" ? "&region=" + encodeURIComponent(region) : "&request=" + encodeURIComponent(request));
  var es = new EventSource(url);
  es.onopen = function () { setState("live", true); };
  es.onerror = function () { setState("reconnecting…", false); };
  es.addEventListener("row", function (e) { applyRow(JSON.parse(e.data)); });
  es.addEventListener("changed", function () { requestChanged(); });
  es.addEventListener("resync", function () { resync(); });
  window.addEventListener("pagehide", function () { es.close(); });

  function setState(text, on) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("on", on);
  }

  function applyRow(d) {
    var old = document.getElementById("r-" + d.id);
    if (old) old.remove();
    if (d.open && d.region === region && d.html) {
      var body = document.getElementById("g-" + d.waiting);
      if (body) {
        var t = document.createElement("template");
        t.innerHTML = d.html.trim();
        var row = t.content.firstElementChild;
        var next = null;
        for (var i = 0; i < body.rows.length; i++) {
          var r = body.rows[i];
          if ((r.dataset.since || "") > (d.since || "") ) { next = r; break; }
        }
        body.insertBefore(row, next);
        row.classList.add("fresh");
      }
    }
    recount();
    refreshAges();
  }

  function recount() {
    var total = 0;
    document.querySelectorAll("section.group").forEach(function (g) {
      var n = g.querySelector("tbody").rows.length;
      total += n;
      var c = g.querySelector(".count");
      if (c) c.textContent = n;
      g.classList.toggle("empty", n === 0);
    });
    var t = document.getElementById("total");
    if (t) t.textContent = total;
  }

  function resync() {
    if (kind === "request") { requestChanged(); return; }
    fetch("/ui/regions/" + encodeURIComponent(region) + "/groups", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        document.getElementById("groups").innerHTML = html;
        recount();
        refreshAges();
      })
      .catch(function () { setState("out of date: reload the page", false); });
  }

  // A request page keeps what the visitor is typing: with a form being
  // filled in, it offers the change instead of replacing the panel.
  function requestChanged() {
    var panel = document.getElementById("panel");
    var busy = Array.prototype.some.call(panel.querySelectorAll("input[type=text], select"), function (el) {
      return el === document.activeElement || (el.tagName === "INPUT" && el.value !== "");
    });
    if (busy) {
      document.getElementById("changed").hidden = false;
      return;
    }
    reloadPanel();
  }

  function reloadPanel() {
    fetch("/ui/requests/" + encodeURIComponent(request) + "/panel", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        document.getElementById("panel").innerHTML = html;
        document.getElementById("changed").hidden = true;
        refreshAges();
      })
      .catch(function () { setState("out of date: reload the page", false); });
  }
  var reload = document.getElementById("reload-panel");
  if (reload) reload.addEventListener("click", reloadPanel);
})();

function refreshAges() {
  var now = Date.now();
  document.querySelectorAll("table.queue time[datetime]").forEach(function (el) {
    var t = Date.parse(el.getAttribute("datetime"));
    if (isNaN(t)) return;
    var m = Math.max(0, Math.floor((now - t) / 60000));
    var text;
    if (m < 1) text = "just now";
    else if (m < 60) text = m + "m";
    else if (m < 48 * 60) text = Math.floor(m / 60) + "h " + (m % 60) + "m";
    else text = Math.floor(m / 1440) + "d " + Math.floor((m % 1440) / 60) + "h";
    el.textContent = text;
  });
}
