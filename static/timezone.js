// Fill the sign-in form's hidden zone field with the browser's IANA time zone, so that the
// first sign-in shows every date in the person's own hours (they can change it on /account/).
(function () {
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    return;
  }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    input.value = zone;
  });
})();
