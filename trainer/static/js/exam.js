// Taking an exam. Every answer change is saved at once (debounced for typing) with a per-question sequence
// number, so a stale or replayed save never overwrites a newer one. Unacknowledged saves wait in localStorage
// and are re-sent on reconnect and after a reload; the queue is cleared once acknowledged, on submit and on
// logout. The countdown is synchronised from the server on every save; the browser's clock is never trusted
// (only its monotonic timer measures the seconds between two server answers).
(function () {
  "use strict";
  var root = document.getElementById("exam");
  if (!root) return;
  var attemptId = root.dataset.attempt;
  var saveUrl = root.dataset.saveUrl;
  var focusUrl = root.dataset.focusUrl;
  var resultUrl = root.dataset.resultUrl;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var storeKey = "trainer-exam-" + attemptId;
  var server = JSON.parse(document.getElementById("exam-state").textContent); // {pos: {seq, flagged, response}}
  var panes = Array.prototype.slice.call(document.querySelectorAll(".exam-q"));
  var statusEl = document.getElementById("save-status");
  var offlineEl = document.getElementById("offline-warning");
  var current = 0;
  var finished = false;

  // ---- the local queue ------------------------------------------------------------------------------
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  var queue = loadQueue(); // {pos: {seq, response?, flagged?}}
  function persist() {
    try {
      if (Object.keys(queue).length) localStorage.setItem(storeKey, JSON.stringify(queue));
      else localStorage.removeItem(storeKey);
    } catch (e) { /* storage full or disabled: the in-memory queue still retries */ }
  }
  function seqFor(pos) {
    var s = (server[pos] && server[pos].seq) || 0;
    var q = queue[pos] ? queue[pos].seq : 0;
    return Math.max(s, q) + 1;
  }

  // ---- reading and writing the inputs ---------------------------------------------------------------
  function paneFor(pos) { return document.querySelector('.exam-q[data-position="' + pos + '"]'); }
  function readResponse(pane) {
    var type = pane.dataset.type;
    var name = "q" + pane.dataset.position;
    var inputs = pane.querySelectorAll('[name="' + name + '"]');
    if (type === "single" || type === "judge") {
      var checked = pane.querySelector('[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    }
    if (type === "multiple") {
      var letters = [];
      inputs.forEach(function (i) { if (i.checked) letters.push(i.value); });
      return letters.length ? letters.join("") : null;
    }
    if (type === "blank") {
      var values = [];
      var any = false;
      inputs.forEach(function (i) { values.push(i.value); if (i.value.trim()) any = true; });
      return any ? values : null;
    }
    var text = inputs.length ? inputs[0].value : "";
    return text.trim() ? text : null;
  }
  function writeResponse(pane, value) {
    var type = pane.dataset.type;
    var name = "q" + pane.dataset.position;
    var inputs = pane.querySelectorAll('[name="' + name + '"]');
    if (type === "single" || type === "judge") {
      inputs.forEach(function (i) { i.checked = value !== null && i.value === value; });
    } else if (type === "multiple") {
      inputs.forEach(function (i) { i.checked = !!value && value.indexOf(i.value) >= 0; });
    } else if (type === "blank") {
      inputs.forEach(function (i, n) { i.value = value && value[n] !== undefined ? value[n] : ""; });
    } else if (inputs.length) {
      inputs[0].value = value || "";
    }
  }
  function isAnswered(pos) {
    var pane = paneFor(pos);
    return pane ? readResponse(pane) !== null : false;
  }
  function isFlagged(pos) {
    if (queue[pos] && queue[pos].flagged !== undefined) return queue[pos].flagged;
    return !!(server[pos] && server[pos].flagged);
  }

  // ---- status and countdown ---------------------------------------------------------------------------
  function setStatus(kind) {
    var labels = { saved: "已保存", saving: "保存中…", unsaved: "未保存（已暂存在本机，稍后自动重试）" };
    statusEl.textContent = labels[kind];
    statusEl.className = "small " + (kind === "saved" ? "text-success" : kind === "saving" ? "text-muted" : "text-danger");
    // Show the offline warning when saving fails; hide it only once everything is saved, so the page does not
    // jump under the candidate's finger while retries come and go.
    if (kind === "unsaved") offlineEl.classList.remove("d-none");
    if (kind === "saved") offlineEl.classList.add("d-none");
  }
  var endsAt = performance.now() + Number(root.dataset.secondsLeft) * 1000;
  function syncClock(secondsLeft) { endsAt = performance.now() + secondsLeft * 1000; }
  function tick() {
    var left = Math.max(0, Math.round((endsAt - performance.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    document.getElementById("countdown").textContent =
      (h ? h + ":" : "") + (m < 10 && h ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    document.getElementById("countdown").classList.toggle("text-danger", left <= 300);
    if (left === 0 && !finished) {
      finished = true;
      flush().then(function () { window.location.href = resultUrl; });
    }
  }
  setInterval(tick, 1000);
  tick();

  // ---- sending ----------------------------------------------------------------------------------------
  var sending = false;
  var retryTimer = null;
  function sendOne(pos) {
    var entry = queue[pos];
    var body = { position: Number(pos), seq: entry.seq };
    if (entry.response !== undefined) body.response = entry.response;
    if (entry.flagged !== undefined) body.flagged = entry.flagged;
    return fetch(saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      if (resp.status === 409) {
        return resp.json().then(function (data) { closed(data.error); throw new Error("closed"); });
      }
      if (resp.status === 400) {
        // A malformed or refused save will never succeed: drop it so it does not block the queue.
        return resp.json().then(function (data) {
          if (queue[pos] && queue[pos].seq === entry.seq) { delete queue[pos]; persist(); }
          showWarning(data.error || "保存失败");
        });
      }
      if (!resp.ok) throw new Error("http " + resp.status);
      return resp.json().then(function (data) {
        server[pos] = server[pos] || {};
        server[pos].seq = Math.max(server[pos].seq || 0, data.seq, entry.seq);
        if (entry.response !== undefined) server[pos].response = entry.response;
        if (entry.flagged !== undefined) server[pos].flagged = entry.flagged;
        if (queue[pos] && queue[pos].seq === entry.seq) { delete queue[pos]; persist(); }
        syncClock(data.seconds_left);
      });
    });
  }
  function flush() {
    if (sending) return new Promise(function (r) { setTimeout(function () { r(flush()); }, 200); });
    var positions = Object.keys(queue);
    if (!positions.length) { setStatus("saved"); return Promise.resolve(); }
    sending = true;
    setStatus("saving");
    var chain = Promise.resolve();
    positions.forEach(function (pos) { chain = chain.then(function () { if (queue[pos]) return sendOne(pos); }); });
    return chain.then(function () {
      sending = false;
      if (Object.keys(queue).length) return flush();
      setStatus("saved");
    }, function (err) {
      sending = false;
      if (finished) return;
      setStatus("unsaved");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, 3000);
    });
  }
  function enqueue(pos, change) {
    var entry = queue[pos] || {};
    entry.seq = seqFor(pos);
    if (change.response !== undefined) entry.response = change.response;
    if (change.flagged !== undefined) entry.flagged = change.flagged;
    queue[pos] = entry;
    persist();
    renderSheet();
  }
  var debounce = {};
  function onInput(e) {
    var pane = e.target.closest(".exam-q");
    if (!pane || finished) return;
    var pos = pane.dataset.position;
    var typing = e.target.tagName === "TEXTAREA" || e.target.type === "text" || e.target.classList.contains("form-control");
    if (typing && e.type === "change") return; // typed text is already handled by its input events
    clearTimeout(debounce[pos]);
    var go = function () { enqueue(pos, { response: readResponse(pane) }); flush(); };
    if (typing) { setStatus("saving"); debounce[pos] = setTimeout(go, 600); } else { go(); }
  }
  root.addEventListener("change", onInput);
  root.addEventListener("input", onInput);

  function closed(message) {
    finished = true;
    queue = {};
    persist();
    alert(message || "考试已结束。");
    window.location.href = resultUrl;
  }
  function showWarning(text) {
    var w = document.getElementById("focus-warning");
    w.textContent = text;
    w.classList.remove("d-none");
  }

  // ---- navigation, flags, answer sheet -----------------------------------------------------------------
  function show(index) {
    current = Math.max(0, Math.min(panes.length - 1, index));
    panes.forEach(function (p, i) { p.classList.toggle("d-none", i !== current); });
    var pos = panes[current].dataset.position;
    var flag = document.getElementById("flag");
    flag.setAttribute("aria-pressed", isFlagged(pos) ? "true" : "false");
    flag.textContent = isFlagged(pos) ? "取消标记" : "标记";
    renderSheet();
    window.scrollTo(0, 0);
  }
  function renderSheet() {
    document.querySelectorAll("#answer-sheet .sheet-btn").forEach(function (b) {
      var pos = b.dataset.goto;
      b.classList.toggle("answered", isAnswered(pos));
      b.classList.toggle("flagged", isFlagged(pos));
      b.classList.toggle("current", panes[current] && panes[current].dataset.position === pos);
    });
  }
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("flag").addEventListener("click", function () {
    var pos = panes[current].dataset.position;
    enqueue(pos, { flagged: !isFlagged(pos) });
    show(current);
    flush();
  });
  document.getElementById("answer-sheet").addEventListener("click", function (e) {
    var b = e.target.closest("[data-goto]");
    if (!b) return;
    panes.forEach(function (p, i) { if (p.dataset.position === b.dataset.goto) show(i); });
  });

  // ---- submit -----------------------------------------------------------------------------------------
  var modalEl = document.getElementById("confirm-submit");
  document.getElementById("submit-exam").addEventListener("click", function () {
    var empty = panes.map(function (p) { return p.dataset.position; }).filter(function (pos) { return !isAnswered(pos); });
    document.getElementById("unanswered-note").textContent = empty.length
      ? "还有 " + empty.length + " 题未作答：第 " + empty.join("、") + " 题。交卷后不能再修改，确定交卷吗？"
      : "所有题目都已作答。交卷后不能再修改，确定交卷吗？";
    bootstrap.Modal.getOrCreateInstance(modalEl).show();
  });
  document.getElementById("submit-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    flush().then(function () {
      if (Object.keys(queue).length) { alert("还有答案未能保存，请检查网络后再交卷。"); return; }
      finished = true;
      queue = {};
      persist();
      form.submit();
    });
  });

  // ---- focus --------------------------------------------------------------------------------------------
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden" || finished) return;
    var body = JSON.stringify({ kind: "hidden" });
    fetch(focusUrl, { method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" }, body: body })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (data.action === "submitted") { closed("切换页面次数超过规定，答卷已自动提交。"); return; }
        if (data.action === "warn") showWarning("已记录第 " + data.count + " 次离开考试页面" + (root.dataset.focusPolicy === "submit" ? "，达到 " + data.limit + " 次将自动交卷。" : "。"));
      }).catch(function () {});
  });

  // ---- start: restore unacknowledged answers from this device and re-send them -------------------------
  Object.keys(queue).forEach(function (pos) {
    var entry = queue[pos];
    var stored = server[pos] || {};
    if (entry.seq <= (stored.seq || 0)) { delete queue[pos]; return; }
    var pane = paneFor(pos);
    if (pane && entry.response !== undefined) writeResponse(pane, entry.response);
  });
  persist();
  window.addEventListener("online", function () { flush(); });
  show(0);
  flush();
})();
