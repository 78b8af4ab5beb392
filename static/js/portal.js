/* The portal's behaviour, from a file: the Content-Security-Policy runs no inline script or handler. */
(function () {
  "use strict";

  /* A filter that applies as soon as it is chosen (the invoices' year); <noscript> keeps a button. */
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });
})();
