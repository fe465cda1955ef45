// The counter's matter type-ahead: name or pinyin initials, arrow keys and Enter pick a matter.
(function () {
  "use strict";
  var input = document.getElementById("matter-q");
  var list = document.getElementById("matter-results");
  if (!input || !list) { return; }
  var timer = null;
  var active = -1;

  function links() { return list.querySelectorAll("a"); }

  function highlight(index) {
    var items = links();
    if (!items.length) { active = -1; return; }
    active = (index + items.length) % items.length;
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("active", i === active);
      items[i].setAttribute("aria-selected", i === active ? "true" : "false");
    }
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (m) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = m.url;
      a.textContent = m.name + " ";
      var span = document.createElement("span");
      span.className = "muted";
      span.textContent = m.code + " · " + m.unit;
      a.appendChild(span);
      li.appendChild(a);
      list.appendChild(li);
    });
    highlight(0);
  }

  function fetchResults(url, q) {
    return fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { return data.results || []; });
  }

  // data-lookup-more: a second source (the packages, 一件事) listed after the first one's results.
  function lookup() {
    var q = input.value.trim();
    if (!q) { show([]); return; }
    var sources = [input.dataset.lookup];
    if (input.dataset.lookupMore) { sources.push(input.dataset.lookupMore); }
    Promise.all(sources.map(function (url) { return fetchResults(url, q); }))
      .then(function (lists) { if (input.value.trim() === q) { show([].concat.apply([], lists)); } })
      .catch(function () { /* the search button still works without the type-ahead */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 150);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { highlight(active + 1); event.preventDefault(); }
    else if (event.key === "ArrowUp") { highlight(active - 1); event.preventDefault(); }
    else if (event.key === "Enter" && active >= 0 && links()[active]) {
      event.preventDefault();
      window.location.href = links()[active].href;
    }
  });
})();
