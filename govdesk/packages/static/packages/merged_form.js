// The merged form's situational fields: a field with data-required-if-field is shown (and marked required) only
// while that other field has the given value. Without this script every field stays visible with its hint, and the
// server says which ones are missing.
(function () {
  "use strict";
  var rows = document.querySelectorAll("[data-required-if-field]");
  if (!rows.length) { return; }

  function valueOf(name) {
    var inputs = document.getElementsByName(name);
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox") { return input.checked ? "true" : "false"; }
      if (input.type === "radio") { if (input.checked) { return input.value; } continue; }
      return input.value;
    }
    return "";
  }

  function apply() {
    rows.forEach(function (row) {
      var needed = valueOf(row.dataset.requiredIfField) === row.dataset.requiredIfEquals;
      row.hidden = !needed;
      row.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !needed;
        if (needed) { input.setAttribute("required", "required"); } else { input.removeAttribute("required"); }
      });
    });
  }

  var watched = {};
  rows.forEach(function (row) { watched[row.dataset.requiredIfField] = true; });
  Object.keys(watched).forEach(function (name) {
    var inputs = document.getElementsByName(name);
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].addEventListener("change", apply);
      inputs[i].addEventListener("input", apply);
    }
  });
  apply();
})();
