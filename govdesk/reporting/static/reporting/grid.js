// The report's grid: "Add a line" copies the last line empty, with the next free index in its field names.
// Without script the grid still works: it always has a few empty lines under the filled ones.
(function () {
  "use strict";
  function addRow(table) {
    var body = table.tBodies[0];
    var last = body.rows[body.rows.length - 1];
    if (!last) { return; }
    var index = parseInt(table.getAttribute("data-next-index"), 10);
    var row = last.cloneNode(true);
    row.classList.remove("has-error");
    row.removeAttribute("data-has-error");
    row.setAttribute("data-row", String(index + 1));
    row.querySelector("th").textContent = String(index + 1);
    row.querySelectorAll(".error").forEach(function (p) { p.remove(); });
    row.querySelectorAll(".has-error").forEach(function (td) { td.classList.remove("has-error"); });
    row.querySelectorAll("input, select").forEach(function (field) {
      field.name = field.name.replace(/^r-\d+-/, "r-" + index + "-").replace(/^note-\d+$/, "note-" + index);
      field.removeAttribute("aria-invalid");
      if (field.type === "checkbox") { field.checked = false; }
      else if (!field.readOnly) { field.value = ""; }
    });
    body.appendChild(row);
    table.setAttribute("data-next-index", String(index + 1));
    var first = row.querySelector("input:not([readonly]), select");
    if (first) { first.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      var table = document.querySelector("table.grid");
      if (!table) { return; }
      button.hidden = false;
      button.addEventListener("click", function () { addRow(table); });
    });
  });
})();
