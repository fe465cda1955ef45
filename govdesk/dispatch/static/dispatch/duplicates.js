/* GovDesk operator console: duplicate candidates as the operator types, and one-click merge after registering.
   No inline script (CSP); text is inserted with textContent only. The console works without this file. */
(function () {
  "use strict";
  var panel = document.getElementById("duplicates-panel");
  if (!panel) return;
  var list = panel.querySelector("[data-role=list]");
  var status = panel.querySelector("[data-role=status]");
  var csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
  var form = document.getElementById("intake-form");
  var detailUrl = panel.getAttribute("data-detail-url") || "";

  function text(name, values) {
    var template = panel.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { template = template.replace("{" + key + "}", values[key]); });
    return template;
  }

  function request(url, method, body) {
    var headers = { "Accept": "application/json", "X-Requested-With": "fetch" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrfInput ? csrfInput.value : "";
    }
    return fetch(url, {
      method: method, credentials: "same-origin", headers: headers, body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  function merge(button, number) {
    var buttons = list.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    request(panel.getAttribute("data-merge-url"), "POST", { master: number }).then(function (result) {
      if (result.ok) {
        status.textContent = text("merged", { n: number });
        button.textContent = text("merged", { n: number });
      } else {
        status.textContent = text("failed", { m: (result.data && result.data.message) || "" });
        buttons.forEach(function (b) { b.disabled = false; });
      }
    }).catch(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  function render(items, canMerge) {
    list.textContent = "";
    status.textContent = items.length ? "" : text("none");
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "duplicate-item";
      var link = document.createElement("a");
      link.href = detailUrl.replace("NUMBER", encodeURIComponent(item.number));
      link.textContent = item.number;
      link.className = "number";
      var score = document.createElement("span");
      score.className = "duplicate-score";
      score.textContent = text("score", { p: String(Math.round(item.score * 100)) });
      var title = document.createElement("div");
      title.textContent = item.title + " · " + item.status_display;
      var why = document.createElement("div");
      why.className = "hint";
      why.textContent = (item.reasons || []).map(function (r) { return r.message; }).join("; ");
      li.appendChild(link);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(score);
      li.appendChild(title);
      li.appendChild(why);
      if (canMerge) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button small";
        button.textContent = text("merge", { n: item.number });
        button.addEventListener("click", function () { merge(button, item.number); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  }

  // After registering: the new order's similar open orders, each with a merge button.
  var similarUrl = panel.getAttribute("data-similar-url");
  if (similarUrl) {
    request(similarUrl, "GET").then(function (result) {
      if (result.ok && Array.isArray(result.data)) render(result.data, true);
    }).catch(function () { /* no suggestions: the console keeps working */ });
  }

  // While typing: candidates for the text in the form (debounced).
  if (!form) return;
  var fields = ["title", "content", "address"].map(function (name) { return form.querySelector("[name=" + name + "]"); });
  var checkUrl = panel.getAttribute("data-check-url");
  var timer = null;
  var last = "";
  function check() {
    var body = { title: fields[0] ? fields[0].value : "", content: fields[1] ? fields[1].value : "",
                 address: fields[2] ? fields[2].value : "" };
    var key = JSON.stringify(body);
    if (key === last || (body.title + body.content).replace(/\s/g, "").length < 6) return;
    last = key;
    body.title = body.title.slice(0, 200);
    body.content = body.content.slice(0, 4000);
    body.address = body.address.slice(0, 200);
    request(checkUrl, "POST", body).then(function (result) {
      if (last === key && result.ok && Array.isArray(result.data)) render(result.data, false);
    }).catch(function () { /* the form works without candidates */ });
  }
  fields.forEach(function (field) {
    if (!field) return;
    field.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 500); });
  });
})();
