/* Customer pages: progressive enhancement only; every page works without JavaScript. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // The language select submits itself (a <noscript> button covers the rest).
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Anonymous: the contact fields are neither required nor sent.
  function anonymousToggle() {
    var box = document.getElementById("id_is_anonymous");
    var contact = document.querySelector("[data-contact]");
    if (!box || !contact) { return; }
    function apply() {
      contact.setAttribute("aria-disabled", box.checked ? "true" : "false");
      contact.querySelectorAll("input").forEach(function (input) { input.disabled = box.checked; });
    }
    box.addEventListener("change", apply);
    apply();
  }

  // Tell the person at once when the chosen files are too large together (the server checks again).
  function fileTotal() {
    var form = document.querySelector("form[data-max-total-bytes]");
    var input = document.getElementById("id_attachments");
    var out = document.querySelector("[data-file-total]");
    if (!form || !input || !out) { return; }
    var limit = parseInt(form.getAttribute("data-max-total-bytes"), 10);
    input.addEventListener("change", function () {
      var total = 0;
      Array.prototype.forEach.call(input.files, function (f) { total += f.size; });
      out.hidden = input.files.length === 0;
      out.textContent = input.files.length + " × " + (total / 1048576).toFixed(1) + " MB / " + (limit / 1048576).toFixed(0) + " MB";
      out.classList.toggle("over", total > limit);
    });
  }

  // Kiosk: reset to a blank form after inactivity (or, on the result page, after a fixed time),
  // so that the next person never sees what the previous one typed. History is replaced, not pushed.
  function kiosk() {
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-kiosk-idle-seconds") || "0", 10);
    var resetUrl = body.getAttribute("data-kiosk-reset-url");
    if (!idle || !resetUrl) { return; }
    var always = body.hasAttribute("data-kiosk-always");
    var warning = document.querySelector("[data-kiosk-warning]");
    var countdown = document.querySelector("[data-kiosk-countdown]");
    var warnSeconds = Math.min(20, Math.floor(idle / 3));
    var loadedAt = Date.now();
    var lastActivity = Date.now();
    var dirty = false;
    function reset() { window.location.replace(resetUrl); }
    function activity() { lastActivity = Date.now(); if (warning) { warning.hidden = true; } }
    ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, activity, { passive: true, capture: true });
    });
    document.addEventListener("input", function () { dirty = true; }, true);
    document.addEventListener("contextmenu", function (event) { event.preventDefault(); });
    // Links may only lead back to the kiosk form.
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href]") : null;
      if (link && link.getAttribute("href") !== resetUrl) { event.preventDefault(); }
    }, true);
    window.setInterval(function () {
      var quiet = (Date.now() - lastActivity) / 1000;
      // An untouched form only reloads now and then, to keep its signed timestamp fresh.
      var needed = always || dirty || (Date.now() - loadedAt) > 30 * 60 * 1000;
      if (!needed) { return; }
      if (quiet >= idle) { reset(); return; }
      if (warning && countdown && quiet >= idle - warnSeconds) {
        warning.hidden = false;
        countdown.textContent = String(Math.ceil(idle - quiet));
      }
    }, 1000);
    body.setAttribute("data-kiosk-ready", "true");
  }

  ready(function () { autosubmit(); anonymousToggle(); fileTotal(); kiosk(); });
})();
