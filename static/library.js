/* The library's filters: a closed "Filters" disclosure below the results on a phone, open
   beside them on a wider screen. Without this file the disclosure still opens on a tap. */
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 56rem)").matches) {
    filters.open = true;
  }
})();
