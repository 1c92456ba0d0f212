// Live preview of the question being edited, as staff will see it, and the text of the cited articles.
(function () {
  var form = document.getElementById("question-form");
  if (!form) return;
  var preview = document.getElementById("preview");
  var cited = document.getElementById("cited");
  var LETTERS = "ABCDEFGH";
  var LABELS = { single: "单选", multiple: "多选", judge: "判断", blank: "填空", case: "案例分析" };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function render() {
    var type = form.elements.type.value;
    preview.replaceChildren();
    preview.appendChild(el("div", "small text-muted mb-1", LABELS[type] || type));
    preview.appendChild(el("p", "question-stem", form.elements.stem.value));
    if (type === "single" || type === "multiple") {
      form.elements.options.value.split("\n").filter(function (o) { return o.trim(); }).forEach(function (o, i) {
        var d = el("div", "form-check mb-2");
        var input = el("input", "form-check-input");
        input.type = type === "single" ? "radio" : "checkbox";
        input.disabled = true;
        d.appendChild(input);
        d.appendChild(el("label", "form-check-label", LETTERS[i] + ". " + o.trim()));
        preview.appendChild(d);
      });
    } else if (type === "judge") {
      ["正确", "错误"].forEach(function (t) {
        var d = el("div", "form-check form-check-inline");
        var input = el("input", "form-check-input"); input.type = "radio"; input.disabled = true;
        d.appendChild(input); d.appendChild(el("label", "form-check-label", t)); preview.appendChild(d);
      });
    } else if (type === "blank") {
      var n = (form.elements.stem.value.match(/____/g) || []).length;
      for (var i = 0; i < n; i++) {
        var input = el("input", "form-control mb-2"); input.disabled = true; input.placeholder = "第" + (i + 1) + "空";
        preview.appendChild(input);
      }
    } else {
      var t = el("textarea", "form-control"); t.rows = 4; t.disabled = true; preview.appendChild(t);
    }
    var ans = el("div", "small mt-2 text-success", "答案：" + form.elements.answer.value);
    preview.appendChild(ans);
    preview.appendChild(el("div", "small text-muted", "解析：" + form.elements.explanation.value));
  }
  var timer = null;
  function loadCited() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = form.dataset.citedUrl + "?citations=" + encodeURIComponent(form.elements.citations.value);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        cited.replaceChildren();
        data.errors.forEach(function (e) { cited.appendChild(el("p", "text-danger", e)); });
        data.citations.forEach(function (c) {
          cited.appendChild(el("div", "fw-semibold", c.label));
          c.text.split("\n").forEach(function (line) { cited.appendChild(el("p", "mb-1", line)); });
        });
      }).catch(function () {});
    }, 300);
  }
  form.addEventListener("input", function (e) { render(); if (e.target.name === "citations") loadCited(); });
  form.addEventListener("change", render);
  render();
  loadCited();
})();
