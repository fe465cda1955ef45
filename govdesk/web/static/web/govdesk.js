/* GovDesk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Ctrl+Enter (Cmd+Enter on a Mac) submits the form the cursor is in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target && event.target.closest ? event.target.closest("form[data-shortcut-submit]") : null;
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // Live character counters: <p class="counter" data-counter-for="id" data-template="{n} of {max}">.
  function setupCounter(counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!field) return;
    var max = parseInt(field.getAttribute("data-counter") || field.getAttribute("maxlength") || "0", 10);
    var template = counter.getAttribute("data-template") || "{n} / {max}";
    function update() {
      var n = Array.from(field.value).length;
      counter.textContent = template.replace("{n}", String(n)).replace("{max}", String(max));
      counter.classList.toggle("over", max > 0 && n > max);
    }
    field.addEventListener("input", update);
    update();
  }
  document.querySelectorAll(".counter[data-counter-for]").forEach(setupCounter);

  // Operator console: the caller's earlier orders, looked up as the phone number is typed.
  var intake = document.getElementById("intake-form");
  if (intake) {
    var phone = intake.querySelector("[name=citizen_phone]");
    var target = document.getElementById("caller-history");
    var url = intake.getAttribute("data-history-url");
    var timer = null;
    var last = null;
    function lookup() {
      var value = phone.value.replace(/[\s()（）-]/g, "");
      if (value === last) return;
      last = value;
      if (value.length < 7) return;
      // POST, so the number never appears in a URL (and so in no access log).
      var body = new FormData();
      body.append("phone", value);
      var token = intake.querySelector("[name=csrfmiddlewaretoken]");
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
                   headers: { "X-Requested-With": "fetch", "X-CSRFToken": token ? token.value : "" } })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { if (html && last === value) target.innerHTML = html; })
        .catch(function () { /* the form works without the history */ });
    }
    if (phone && target && url) {
      phone.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 250); });
      phone.addEventListener("change", lookup);
      if (phone.value) lookup();
    }
    // Show the first field with an error, so the operator can fix it without the mouse.
    var firstError = intake.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (firstError) firstError.focus();
  }
})();
