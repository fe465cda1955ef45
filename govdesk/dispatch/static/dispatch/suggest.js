/* GovDesk operator console: category and unit suggestions as the operator types (POST /api/v1/dispatch/suggest/).
   Clicking a suggestion fills the category field. No inline script (CSP); text goes in with textContent only.
   The console works without this file. */
(function () {
  "use strict";
  var panel = document.getElementById("suggest-panel");
  var form = document.getElementById("intake-form");
  if (!panel || !form) return;
  var list = panel.querySelector("[data-role=list]");
  var status = panel.querySelector("[data-role=status]");
  var unitLine = panel.querySelector("[data-role=unit]");
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var title = form.querySelector("[name=title]");
  var content = form.querySelector("[name=content]");
  var address = form.querySelector("[name=address]");
  var category = form.querySelector("[name=category]");
  var url = panel.getAttribute("data-suggest-url");
  var timer = null;
  var lastKey = null;
  var sequence = 0;

  function text(name, values) {
    var template = panel.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { template = template.replace("{" + key + "}", values[key]); });
    return template;
  }

  function apply(item) {
    if (!category) return;
    if (item.leaf) {
      category.value = item.leaf.path;
      status.textContent = text("applied", { c: item.leaf.path });
    } else {
      // A level-1 node is not a leaf: leave "城乡建设/" so the list offers the leaves under it.
      category.value = (item.category ? item.category.path : item.label) + "/";
      status.textContent = text("refine", { c: item.label });
    }
    category.dispatchEvent(new Event("input", { bubbles: true }));
    category.focus();
  }

  function render(data) {
    list.textContent = "";
    unitLine.textContent = "";
    status.textContent = data.notice || (data.low_confidence ? text("unsure") : "");
    panel.classList.toggle("unsure", !!data.low_confidence);
    (data.categories || []).forEach(function (item) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link-button suggest-apply";
      button.title = text("apply");
      button.textContent = item.leaf ? item.leaf.path : item.label;
      button.addEventListener("click", function () { apply(item); });
      var probability = document.createElement("span");
      probability.className = "suggest-probability";
      probability.textContent = " " + Math.round(item.probability * 100) + "%";
      li.appendChild(button);
      li.appendChild(probability);
      list.appendChild(li);
    });
    var lines = [];
    if (data.unit) lines.push(text("unit", { u: data.unit.name }));
    if (data.street && (!data.unit || data.street.code !== data.unit.code)) lines.push(text("street", { s: data.street.name }));
    unitLine.textContent = lines.join(" · ");
  }

  function suggest() {
    var body = {
      title: title ? title.value : "",
      content: content ? content.value : "",
      address: address ? address.value : ""
    };
    var key = body.title + "\u0000" + body.content + "\u0000" + body.address;
    if (key === lastKey) return;
    lastKey = key;
    if ((body.title + body.content).trim().length < 4) return;
    var mine = ++sequence;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-Requested-With": "fetch",
        "X-CSRFToken": csrfInput ? csrfInput.value : ""
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (mine !== sequence) return;  // an older answer arriving late
        if (response.ok) {
          render(data);
        } else {
          list.textContent = "";
          unitLine.textContent = "";
          status.textContent = response.status === 503 ? text("unavailable") : (data.message || "");
        }
      });
    }).catch(function () { /* the form works without suggestions */ });
  }

  function later() { clearTimeout(timer); timer = setTimeout(suggest, 400); }
  [title, content, address].forEach(function (field) {
    if (!field) return;
    field.addEventListener("input", later);
    field.addEventListener("change", suggest);
  });
  if (title && content && (title.value || content.value)) suggest();
})();
