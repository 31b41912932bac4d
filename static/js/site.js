// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Ask before destructive POST buttons (deactivate, reset password…).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // After htmx swaps in a form with errors, move focus to the first invalid field.
  document.addEventListener("htmx:afterSwap", function (event) {
    var invalid = event.detail.target.querySelector("[aria-invalid='true']");
    if (invalid) {
      invalid.focus();
    } else if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
      var first = event.detail.target.querySelector("tr.editing input:not([type=hidden])");
      if (first) { first.focus(); }
    }
  });
})();
