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
  // The event fires on the new content: after an outerHTML swap, detail.target is the
  // element that was replaced and is no longer in the page.
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.target;
    if (!swapped.querySelector) { return; }
    var invalid = swapped.querySelector("[aria-invalid='true']");
    if (invalid) {
      invalid.focus();
    } else if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
      // (Not "tr.editing": htmx gives the new row the old row's class until it settles.)
      var first = swapped.querySelector("form.inline-edit input:not([type=hidden])");
      if (first) { first.focus(); }
    }
  });
})();
