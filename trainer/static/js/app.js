// Site-wide: logging out clears answers queued on this device for exams (they belong to the user who left).
(function () {
  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function () {
      try {
        Object.keys(localStorage).forEach(function (k) { if (k.indexOf("trainer-exam-") === 0) localStorage.removeItem(k); });
      } catch (e) { /* storage unavailable */ }
    });
  });
})();

// Exam waiting room: count down to the opening time the server gave (elapsed time only: the browser's clock is
// never trusted), then reload so the server shows the start button. Reloads are spread over a few seconds so a
// whole bureau waiting on this page does not arrive in the same instant.
(function () {
  var room = document.getElementById("waiting-room");
  if (!room) return;
  var out = document.getElementById("open-countdown");
  var total = parseInt(room.getAttribute("data-seconds"), 10) || 0;
  var started = performance.now();
  var jitter = Math.random() * 4;
  function fmt(s) {
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (h ? h + ":" + two(m) : m) + ":" + two(sec);
  }
  function tick() {
    var left = total - (performance.now() - started) / 1000;
    if (left <= -jitter) { window.location.reload(); return; }
    out.textContent = left > 0 ? fmt(Math.ceil(left)) : "即将开始…";
    window.setTimeout(tick, 500);
  }
  tick();
})();
