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
