/* The address (slug) field says, as it is typed, whether the address is free: it asks
   /library/slug-check and writes the answer under the field. Without this file the form still
   checks the address when it is sent. Expects an input with data-slug-check="<check URL>"
   (and data-study="<id>", the study it is for) and an element with id "<input id>-check". */
(function () {
  "use strict";
  var input = document.querySelector("input[data-slug-check]");
  if (!input || !window.fetch) {
    return;
  }
  var out = document.getElementById(input.id + "-check");
  // The words come from the page, in its language (a JSON block: review/infra/script_texts.py).
  var TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  function text(key, values) {
    return (TEXTS[key] || "").replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }
  var timer = null;
  var asked = 0;

  function say(message, ok) {
    // The check's reasons read after the field's name ("is required"): make them a sentence.
    out.textContent = /^\p{Ll}/u.test(message) ? text("problem", {problem: message}) : message;
    out.className = "slug-check " + (ok ? "ok" : "error");
  }

  function check() {
    var slug = input.value.trim();
    if (!slug) {
      out.textContent = "";
      return;
    }
    var n = ++asked;
    var url = input.getAttribute("data-slug-check") + "?slug=" + encodeURIComponent(slug) +
      "&study=" + encodeURIComponent(input.getAttribute("data-study") || "");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || n !== asked) {
          return;  // an older answer, or none: the form checks on sending anyway
        }
        if (!answer.problem) {
          say(text("free", {slug: answer.slug}), true);
        } else if (answer.suggestion && answer.suggestion !== answer.slug) {
          say(text("perhaps", {problem: answer.problem, suggestion: answer.suggestion}), false);
        } else {
          say(answer.problem, false);
        }
      })
      .catch(function () { out.textContent = ""; });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  });
})();
