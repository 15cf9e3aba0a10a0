/* The library's filters: a closed "Filters" disclosure below the results on a phone, open
   beside them on a wider screen. Without this file the disclosure still opens on a tap. */
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 56rem)").matches) {
    filters.open = true;
  }
})();

/* Search as you type: below the search box, the titles and topics that match what is typed so
   far (from /library/suggest), as plain links. Without this file the search form works as it
   is: the suggestions only save a step. */
(function () {
  "use strict";
  var input = document.getElementById("q");
  var box = document.getElementById("q-suggestions");
  if (!input || !box || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = 0;
  // The words come from the page, in its language (a JSON block: review/infra/script_texts.py).
  var TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  function text(key, values) {
    return (TEXTS[key] || "").replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function clear() {
    box.hidden = true;
    box.textContent = "";
    input.setAttribute("aria-expanded", "false");
  }

  function group(title, items) {
    var section = document.createElement("div");
    var heading = document.createElement("p");
    heading.className = "suggest-head";
    heading.textContent = title;
    section.appendChild(heading);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.text;
      li.appendChild(a);
      list.appendChild(li);
    });
    section.appendChild(list);
    return section;
  }

  function show(answer) {
    box.textContent = "";
    var studies = answer.studies.map(function (s) {
      return {url: s.url, text: s.title + (s.place ? " · " + s.place : "")};
    });
    var topics = answer.topics.map(function (t) { return {url: t.url, text: t.name}; });
    if (!studies.length && !topics.length) {
      clear();
      return;
    }
    if (studies.length) { box.appendChild(group(text("studies"), studies)); }
    if (topics.length) { box.appendChild(group(text("topics"), topics)); }
    box.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function ask() {
    var q = input.value.trim();
    if (q.length < 2) {
      clear();
      return;
    }
    var n = ++asked;
    fetch(box.getAttribute("data-url") + "?q=" + encodeURIComponent(q),
          {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (answer && n === asked) { show(answer); }
      })
      .catch(clear);
  }

  // A search box that offers suggestions is a combobox: only that role may say it is expanded.
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", box.id);
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("autocomplete", "off");
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clear(); }
    if (event.key === "ArrowDown" && !box.hidden) {
      var first = box.querySelector("a");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clear(); input.focus(); }
  });
})();
