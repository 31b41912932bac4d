// The people picker (templates/_macros/people_picker.html): shows the search box, and lets
// the arrow keys, Enter and clicks choose an option of the listbox htmx brings. Without
// this file the field is a plain username field.
(function () {
  "use strict";

  function pickers(root) {
    return (root.querySelectorAll ? root.querySelectorAll("[data-people-picker]") : []);
  }

  function setUp(root) {
    pickers(root).forEach(function (picker) {
      var search = picker.querySelector(".picker-search");
      if (search) { search.hidden = false; }
    });
  }

  function parts(element) {
    var picker = element.closest("[data-people-picker]");
    if (!picker) { return null; }
    return {
      picker: picker,
      field: picker.querySelector("input:not([data-picker-search]), textarea"),
      box: picker.querySelector("[data-picker-search]"),
      list: picker.querySelector("[role=listbox]"),
      status: picker.querySelector("[data-picker-status]"),
      multiple: picker.getAttribute("data-multiple") === "true"
    };
  }

  function options(p) {
    return Array.prototype.slice.call(
      p.list.querySelectorAll("[role=option]:not([aria-disabled=true])"));
  }

  function close(p) {
    p.list.hidden = true;
    p.box.setAttribute("aria-expanded", "false");
    p.box.removeAttribute("aria-activedescendant");
  }

  function highlight(p, index) {
    var all = options(p);
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (all[index]) {
      p.box.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({block: "nearest"});
    }
  }

  function choose(p, option) {
    var username = option.getAttribute("data-value");
    if (p.multiple) {
      var names = p.field.value.split(/[\s,;]+/).filter(Boolean);
      if (names.indexOf(username) < 0) { names.push(username); }
      p.field.value = names.join(", ");
    } else {
      p.field.value = username;
    }
    p.status.textContent = option.getAttribute("data-label") + " (" + username + ")";
    p.box.value = "";
    close(p);
    p.field.dispatchEvent(new Event("change", {bubbles: true}));
    p.box.focus();
  }

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-people-picker] [data-picker-search]")) { return; }
    var p = parts(box);
    var all = options(p);
    var current = all.findIndex(function (o) {
      return o.getAttribute("aria-selected") === "true";
    });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) { return; }
      event.preventDefault();
      p.list.hidden = false;
      p.box.setAttribute("aria-expanded", "true");
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight(p, (current + step + all.length) % all.length);
    } else if (event.key === "Enter") {
      event.preventDefault();  // never submit the form from the search box
      if (current >= 0) { choose(p, all[current]); }
    } else if (event.key === "Escape") {
      close(p);
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-people-picker] [role=option]");
    if (option && option.getAttribute("aria-disabled") !== "true") {
      choose(parts(option), option);
    }
  });

  // A new listbox arrived: open it when it has options.
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = event.target && event.target.closest && parts(event.target);
    if (!p || !p.list) { return; }
    var open = !p.list.hidden && p.list.children.length > 0;
    p.box.setAttribute("aria-expanded", open ? "true" : "false");
    p.box.removeAttribute("aria-activedescendant");
  });

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
