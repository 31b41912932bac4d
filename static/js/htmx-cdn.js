// htmx from the pinned CDN copy (HTMX_FROM_CDN=1), without ever making a page wait for it.
// The page is drawn without htmx; this file (a deferred script, not an inline one: the
// Content-Security-Policy refuses those) adds the CDN copy with its Subresource Integrity
// hash, and when it has not arrived within data-timeout milliseconds, or failed, the local
// copy instead. A CDN that hangs (a firewall that drops packets) so costs htmx a moment
// once, never the page; the rest of the browser tab's visit goes straight to the local copy.
(function () {
  "use strict";
  var script = document.currentScript;
  var cdn = script.getAttribute("data-cdn");
  var local = script.getAttribute("data-local");
  var integrity = script.getAttribute("data-integrity");
  var timeout = parseInt(script.getAttribute("data-timeout"), 10) || 1500;
  var REMEMBER = "perfsite.htmx-cdn-failed";
  var chosen = null;
  var contentLoaded = false;  // this file is deferred: it runs before DOMContentLoaded
  document.addEventListener("DOMContentLoaded", function () { contentLoaded = true; });

  function remembered() {
    try { return window.sessionStorage.getItem(REMEMBER) === cdn; } catch (e) { return false; }
  }

  function remember() {
    try { window.sessionStorage.setItem(REMEMBER, cdn); } catch (e) { /* private mode */ }
  }

  // htmx starts on DOMContentLoaded, or at once on a page that has finished loading. A copy
  // that runs after DOMContentLoaded on a page still loading would wait for that event for
  // ever: give it the event once it has run (only then: the real one reaches it otherwise).
  function start() {
    if (contentLoaded && document.readyState === "interactive") {
      document.dispatchEvent(new Event("DOMContentLoaded"));
    }
  }

  function add(src, integrity) {
    var element = document.createElement("script");
    element.src = src;
    if (integrity) {
      element.integrity = integrity;
      element.crossOrigin = "anonymous";
    }
    document.head.appendChild(element);
    return element;
  }

  function useLocal(cdnElement) {
    if (chosen) { return; }
    chosen = "local";
    if (cdnElement) {
      // A CDN copy that arrives late must not run a second htmx: a script moved to
      // another document before it runs never runs.
      document.implementation.createHTMLDocument("").head.appendChild(cdnElement);
    }
    add(local, integrity).addEventListener("load", start);
  }

  if (!cdn || remembered()) {
    useLocal(null);
    return;
  }
  var element = add(cdn, integrity);
  var timer = window.setTimeout(function () { remember(); useLocal(element); }, timeout);
  element.addEventListener("load", function () {
    if (chosen) { return; }
    chosen = "cdn";
    window.clearTimeout(timer);
    start();
  });
  element.addEventListener("error", function () {
    window.clearTimeout(timer);
    remember();
    useLocal(element);
  });
})();
