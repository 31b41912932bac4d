// The local copy of htmx, for when the pinned CDN copy did not load (an intranet without
// internet). A file, not an inline script, so that the Content-Security-Policy can refuse
// every inline script. Its <script> tag names the local copy in data-src; written with
// document.write so that it runs before the rest of the page, as the CDN copy would have.
(function () {
  "use strict";
  var script = document.currentScript;
  var src = script && script.getAttribute("data-src");
  if (!window.htmx && src) {
    document.write('<script src="' + src.replace(/"/g, "&quot;") + '"><\/script>');
  }
})();
