/* The study editor, improved: autosave a few seconds after typing stops, and edit the rows of
   timeline, stakeholders and links in place. Without this file every button still works. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("save-status");
  // The words come from the page, in its language (a JSON block: review/infra/script_texts.py).
  var TEXTS = JSON.parse((document.getElementById("script-texts") || {}).textContent || "{}");
  function text(key, values) {
    return (TEXTS[key] || "").replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }
  var DELAY = 2500;
  var timer = null;
  var saving = false;
  var again = false;
  var stopped = false;
  // Typed since the server last kept it: leaving the page then asks first.
  var dirty = false;
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";
  });

  function say(text, kind) {
    status.textContent = text;
    status.className = "save-status" + (kind ? " save-" + kind : "");
  }

  function clock() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  function offerResend(message) {
    // The text stays in the page; a normal submit lets the server keep it across sign-in.
    stopped = true;
    status.textContent = message + " ";
    status.className = "save-status save-error";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = text("resend");
    button.id = "resend";
    button.addEventListener("click", function () {
      var action = document.createElement("input");
      action.type = "hidden"; action.name = "action"; action.value = "save";
      form.appendChild(action);
      form.submit();
    });
    status.appendChild(button);
  }

  function save() {
    if (stopped) { return; }
    if (saving) { again = true; return; }
    saving = true;
    say(text("saving"));
    var data = new FormData(form);
    data.set("action", "save");
    dirty = false;
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json", "X-CSRFToken": data.get("csrf_token") || "" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 400) {
        // The session or the form's CSRF token expired; the server kept what was posted.
        dirty = true;
        offerResend(text("expired"));
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.ok) {
          document.querySelectorAll("input[name=version]").forEach(function (el) {
            if (el.form === form || el.hasAttribute("data-follows-save")) { el.value = body.version; }
          });
          say(text("saved", {time: clock()}), "ok");
          markToFix([]);
          updateChecklist(body.missing || {});
        } else if (response.status === 409) {
          stopped = true;
          say(text("conflict"), "error");
        } else if (response.status === 422 && body.kept) {
          // Everything typed is kept as the working copy; these fields block saving it.
          var errors = body.errors || [];
          say(text("kept", {time: clock(), errors: errors.map(function (e) { return e.message; }).join(" · ")}),
              "error");
          markToFix(errors);
        } else if (response.status === 422) {
          dirty = true;
          say(text("not_yet", {errors: (body.errors || []).join(" · ")}), "error");
        } else {
          say(text("failed", {reason: body.message || text("status", {status: response.status})}), "error");
        }
      });
    }).catch(function () {
      dirty = true;
      say(text("offline"), "error");
    }).then(function () {
      saving = false;
      if (pendingSubmit) {
        var submitter = pendingSubmit;
        pendingSubmit = null;
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { submitter.click(); }
        return;
      }
      if (again) { again = false; schedule(); }
    });
  }

  function markToFix(errors) {
    form.querySelectorAll("[data-to-fix]").forEach(function (el) {
      el.removeAttribute("data-to-fix");
      el.removeAttribute("aria-invalid");
      var box = el.closest(".field");
      if (box) { box.classList.remove("has-error"); }
    });
    errors.forEach(function (e) {
      var el = document.getElementById(e.id);
      if (!el) { return; }
      el.setAttribute("data-to-fix", "");
      el.setAttribute("aria-invalid", "true");
      var box = el.closest(".field");
      if (box) { box.classList.add("has-error"); }
    });
  }

  function updateChecklist(missing) {
    var count = 0;
    document.querySelectorAll("[data-missing-for]").forEach(function (el) {
      var key = el.getAttribute("data-missing-for");
      el.hidden = !(key in missing);
      var why = el.querySelector(".why");
      if (why) { why.textContent = missing[key] || ""; }
    });
    Object.keys(missing).forEach(function () { count += 1; });
    var submit = document.getElementById("submit-study");
    if (submit) {
      submit.disabled = count > 0;
      var reason = document.getElementById("submit-why");
      if (reason) {
        reason.textContent = count ? text(count === 1 ? "parts_one" : "parts_other", {count: count}) : text("complete");
      }
      var intro = document.querySelector(".submit-summary .still-missing");
      if (intro) { intro.hidden = count === 0; }
    }
    document.querySelectorAll(".checks li[data-section]").forEach(function (li) {
      var key = li.getAttribute("data-section");
      var done = !(key in missing);
      li.className = done ? "done" : "missing";
      var mark = li.querySelector(".mark");
      if (mark) { mark.textContent = done ? "✓" : "✗"; }
      var what = li.querySelector(".what");
      if (what) { what.textContent = done ? "" : "— " + missing[key]; }
    });
  }

  function schedule() {
    dirty = true;
    if (stopped) { return; }
    clearTimeout(timer);
    say(text("editing"));
    timer = setTimeout(save, DELAY);
  }

  // A Save pressed while an autosave is in flight waits for it, so it carries the new version.
  var pendingSubmit = null;
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (saving) {
      event.preventDefault();
      pendingSubmit = event.submitter || form.querySelector("button.primary");
    } else {
      stopped = true;
      dirty = false;  // the form itself carries the text to the server
    }
  });

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);

  // Rows: move and remove in place, then renumber the field names so the server reads them in order.
  function renumber(list) {
    var name = list.getAttribute("data-rows");
    var pattern = new RegExp("^" + name + "-\\d+-");
    list.querySelectorAll("li[data-row]").forEach(function (row, i) {
      row.querySelectorAll("[name], [id], label[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && pattern.test(value)) { el.setAttribute(attr, value.replace(pattern, name + "-" + i + "-")); }
        });
      });
      row.querySelectorAll("button[data-row-action]").forEach(function (b) {
        b.value = b.getAttribute("data-row-action") + ":" + name + ":" + i;
      });
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-row-action], button[data-add-row]");
    if (!button) { return; }
    event.preventDefault();
    var list, row;
    if (button.hasAttribute("data-add-row")) {
      list = form.querySelector("[data-rows=" + button.getAttribute("data-add-row") + "]");
      var last = list.querySelector("li[data-row]:last-child");
      if (!last) { return; }
      row = last.cloneNode(true);
      row.querySelectorAll("input, textarea, select").forEach(function (el) { el.value = ""; });
      row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      list.appendChild(row);
      renumber(list);
      var first = row.querySelector("input, textarea, select");
      if (first) { first.focus(); }
      return;
    }
    row = button.closest("li[data-row]");
    list = row.parentNode;
    var what = button.getAttribute("data-row-action");
    if (what === "remove") {
      if (list.querySelectorAll("li[data-row]").length > 1) { row.remove(); }
      else { row.querySelectorAll("input, textarea, select").forEach(function (el) { el.value = ""; }); }
    } else if (what === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (what === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    }
    renumber(list);
    button.focus();
    schedule();
  });

  // Character counters for the summary (at most) and the political environment (at least).
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) { return; }
    var max = counter.getAttribute("data-max"), min = counter.getAttribute("data-min");
    function update() {
      var n = field.value.trim().length;
      counter.textContent = max ? text("at_most", {count: n, max: max}) : text("at_least", {count: n, min: min});
    }
    field.addEventListener("input", update);
    update();
  });

  // Confirm destructive buttons that ask for it.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
