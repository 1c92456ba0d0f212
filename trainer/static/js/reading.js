// Records reading time: every 30 s of visible reading is sent to the server as a heartbeat.
(function () {
  var body = document.getElementById("module-body");
  if (!body) return;
  var url = body.dataset.heartbeat;
  var token = document.querySelector("input[name=csrf_token]");
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var pending = 0;
  function collect() {
    if (visibleSince !== null) { pending += (Date.now() - visibleSince) / 1000; visibleSince = Date.now(); }
  }
  function send(useBeacon) {
    collect();
    var seconds = Math.floor(pending);
    if (seconds < 5) return;
    pending -= seconds;
    var data = new FormData();
    data.append("seconds", String(Math.min(seconds, 120)));
    if (token) data.append("csrf_token", token.value);
    if (useBeacon && navigator.sendBeacon) { navigator.sendBeacon(url, data); return; }
    fetch(url, { method: "POST", body: data, credentials: "same-origin" }).catch(function () {});
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { send(true); visibleSince = null; }
    else { visibleSince = Date.now(); }
  });
  window.addEventListener("pagehide", function () { send(true); });
  setInterval(function () { send(false); }, 30000);
})();
