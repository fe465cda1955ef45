// The hall's call display refreshes itself from the JSON endpoint every few seconds.
(function () {
  "use strict";
  var root = document.getElementById("call-display");
  if (!root) { return; }
  var latest = root.querySelector(".call-latest");
  var list = root.querySelector(".call-list");
  var waiting = root.querySelector(".call-waiting");
  var welcome = document.getElementById("call-welcome").content.textContent;

  function render(data) {
    latest.textContent = data.called.length ? data.called[0].text : welcome;
    list.textContent = "";
    data.called.forEach(function (t) {
      var li = document.createElement("li");
      var number = document.createElement("span");
      number.className = "call-number";
      number.textContent = t.number;
      var win = document.createElement("span");
      win.className = "call-window";
      win.textContent = t.window_text;
      li.appendChild(number);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(win);
      list.appendChild(li);
    });
    waiting.textContent = "";
    data.waiting.forEach(function (w) {
      var span = document.createElement("span");
      span.textContent = w.service + " " + w.label + ": ";
      var strong = document.createElement("strong");
      strong.textContent = String(w.waiting);
      span.appendChild(strong);
      waiting.appendChild(span);
      waiting.appendChild(document.createTextNode(" "));
    });
  }

  function poll() {
    fetch(root.dataset.source, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* keep what is shown; try again next time */ })
      .then(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
})();
