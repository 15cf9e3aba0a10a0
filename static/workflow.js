// Confirmation dialogs for workflow actions; the pages work without them (forms still post).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (form.hasAttribute("data-confirm-decline")) {
      var chosen = form.querySelector("input[name=recommendation]:checked");
      message = chosen && chosen.value === "decline" ? form.getAttribute("data-confirm-decline") : null;
    }
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
