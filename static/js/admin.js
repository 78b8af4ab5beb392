/* The admin's behaviour, from a file: the Content-Security-Policy runs no inline script or handler.
   Flask-Admin's templates that had inline handlers (templates/admin/actions.html, model/row_actions.html,
   model/inline_list_base.html, model/layout.html) carry data attributes instead, acted on here. */
(function () {
  "use strict";

  /* A javascript: link is a placeholder (tabs, dropdown toggles, filters, disabled pages): following
     it would run a URL the policy refuses, so it never navigates; its own handlers still run. */
  window.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='javascript:']");
    if (link) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var confirmed = event.target.closest("[data-confirm]");
    if (confirmed && !window.confirm(confirmed.dataset.confirm)) {
      event.preventDefault();
    }
    var action = event.target.closest("a[data-action]");
    if (action) {
      window.modelActions.execute(action.dataset.action);
    }
    var inline = event.target.closest("[data-inline-field]");
    if (inline) {
      window.faForm.addInlineField(inline, inline.dataset.inlineField);
    }
  });

  /* A month close of many accounts takes a while: say so, and keep the form from being sent twice. */
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var busy = form.querySelector(".busy");
      busy.querySelector(".busy-text").textContent = form.dataset.busy;
      busy.hidden = false;
      form.querySelector("button[type=submit]").disabled = true;
    });
  });
})();
