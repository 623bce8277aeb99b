// Intake wizard, progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Move focus to the error summary so keyboard and screen-reader users hear what to fix.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // A second tap on a slow connection must not send the answers twice.
  var forms = document.querySelectorAll("form[data-intake-form]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      window.setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });
})();
