// Nothing typed is lost (domain.md): text typed into a draft and the tab closed at once is
// still saved, or the browser warns first. Every page works without this file.
//
// - form[data-autosave="<url>"]: a draft that htmx saves as one types (self and manager
//   reviews, 360 cards, interview notes). When the page is hidden or left before its
//   autosave ran, the form is posted at once to the same endpoint with fetch(keepalive),
//   which outlives the page, carrying its CSRF token and version like any autosave; when the
//   page lives on, the answer is swapped in as htmx would (the "saved at" note, the new
//   version), into data-autosave-target or where the answer says (HX-Retarget).
// - form[data-save-on-leave]: a form that saves only when sent (an improvement-plan item):
//   posted the same way when the page is left with something typed in it.
// - Every save of an autosaved form (htmx's and the flush) carries the page's random tab
//   token (draft_tab) and a number that rises with each save (draft_seq): a flush sent while
//   this page's own autosave was in flight names the version before it, and the server
//   applies it anyway, because every version since was this page's (perfsite/drafts.py).
// - While a save is pending (typed and not yet saved, on its way) or failed (refused, a
//   conflict to settle: data-autosave-state="conflict"), leaving the page asks first.
(function () {
  "use strict";

  var WATCHED = "form[data-autosave], form[data-save-on-leave]";
  var KEEPALIVE_LIMIT = 60000; // browsers refuse keepalive bodies above 64 KB in flight
  var states = new WeakMap();
  var tab = newTabToken();
  var seq = 0;

  function newTabToken() {
    var bytes = new Uint8Array(18);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i += 1) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function nextSeq() { seq += 1; return String(seq); }

  function stateOf(form) {
    var state = states.get(form);
    if (!state) {
      // typed: changes made; saved: how many of them a save carried; sending: htmx saves
      // on their way; flushing: a flush on its way; failed: the last save was refused;
      // submitted: sent by its own button since the last change.
      state = { typed: 0, saved: 0, sending: 0, flushing: false, failed: false,
                submitted: false };
      states.set(form, state);
    }
    return state;
  }

  function watchedForm(element) {
    return element && element.closest ? element.closest(WATCHED) : null;
  }

  function unsaved(form) {
    var state = stateOf(form);
    return state.typed > state.saved;
  }

  function atRisk(form) {
    var state = stateOf(form);
    if (state.submitted) { return false; } // sent by its own button, nothing typed since
    return unsaved(form) || state.sending > 0 || state.flushing || state.failed ||
      form.getAttribute("data-autosave-state") === "conflict";
  }

  function typed(event) {
    var form = watchedForm(event.target);
    if (form) {
      var state = stateOf(form);
      state.typed += 1;
      state.submitted = false;
    }
  }
  document.addEventListener("input", typed, true);
  document.addEventListener("change", typed, true);

  // A form sent by its own button carries everything typed (and a refusal comes back as a
  // page or a fragment that says so).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches(WATCHED)) {
      var state = stateOf(form);
      state.saved = state.typed;
      state.submitted = true;
    }
  }, true);

  // htmx autosaves: what each one carried, and whether it was kept.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = watchedForm(event.detail.elt);
    if (!form) { return; }
    var state = stateOf(form);
    if (state.flushing) { // the flush on its way carries the text; this one would be stale
      event.preventDefault();
      return;
    }
    event.detail.xhr.perfsiteTyped = state.typed;
    state.sending += 1;
  });
  // Numbered when it is sent (a queued save gets its number when it leaves, not before).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = watchedForm(event.detail.elt);
    if (!form || !form.hasAttribute("data-autosave")) { return; }
    event.detail.parameters.draft_tab = tab;
    event.detail.parameters.draft_seq = nextSeq();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = watchedForm(event.detail.elt);
    var xhr = event.detail.xhr;
    if (!form || !xhr || xhr.perfsiteTyped === undefined) { return; }
    var state = stateOf(form);
    state.sending = Math.max(0, state.sending - 1);
    if (xhr.status >= 200 && xhr.status < 300) {
      state.saved = Math.max(state.saved, xhr.perfsiteTyped);
      state.failed = false;
    } else {
      state.failed = true;
      state.submitted = false;
    }
    if (document.visibilityState === "hidden") { flush(form, false); }
  });

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("data-hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function swapAnswer(form, response, html) {
    if (!window.htmx || !htmx.swap) { return; }
    var target = response.headers.get("HX-Retarget") ||
      form.getAttribute("data-autosave-target");
    var found = target && document.querySelector(target);
    if (!found) { return; }
    htmx.swap(found, html, { swapStyle: response.headers.get("HX-Reswap") || "outerHTML" });
  }

  // Post what is typed now, as the form's autosave would. `leaving`: the page is going away
  // (nobody reads the answer); otherwise the answer is shown like an autosave's.
  function flush(form, leaving) {
    var state = stateOf(form);
    if (!unsaved(form) || state.flushing ||
        form.getAttribute("data-autosave-state") === "conflict") {
      return;
    }
    if (state.sending > 0 && !leaving) { return; } // flushed when that save comes back
    var url = form.getAttribute("data-autosave") || form.getAttribute("action");
    var data = new URLSearchParams(new FormData(form));
    if (form.hasAttribute("data-autosave")) {
      data.set("draft_tab", tab);
      data.set("draft_seq", nextSeq());
    }
    var body = data.toString();
    var carried = state.typed;
    state.flushing = true;
    var options = {
      method: "POST", body: body, credentials: "same-origin",
      keepalive: body.length < KEEPALIVE_LIMIT, redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 "X-CSRFToken": csrfToken(), "HX-Request": "true",
                 "HX-Current-URL": window.location.href }
    };
    window.fetch(url, options).then(function (response) {
      state.flushing = false;
      if (response.ok) {
        state.saved = Math.max(state.saved, carried);
        state.failed = false;
      } else {
        state.failed = true;
      }
      return response.text().then(function (html) {
        if (!leaving && document.body.contains(form) && (response.ok ||
            response.status === 409 || response.status === 422)) {
          swapAnswer(form, response, html);
        }
      });
    }).catch(function () {
      state.flushing = false;
      state.failed = true;
    });
  }

  function flushAll(leaving) {
    document.querySelectorAll(WATCHED).forEach(function (form) {
      if (form.hasAttribute("data-autosave") || leaving) { flush(form, leaving); }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flushAll(false); }
  });
  window.addEventListener("pagehide", function () { flushAll(true); });

  window.addEventListener("beforeunload", function (event) {
    var risky = false;
    document.querySelectorAll(WATCHED).forEach(function (form) {
      if (!atRisk(form)) { return; }
      risky = true;
      if (form.hasAttribute("data-autosave")) { flush(form, false); } // start saving now
    });
    if (risky) {
      event.preventDefault();
      event.returnValue = ""; // older browsers ask only when this is set
    }
  });
})();
