/* GovDesk operator console: knowledge articles (知识库) and service guides that match the caller's words, as the
   operator types (GET /api/v1/knowledge/?q=, session auth). "Answer with this" fills the answer form with the
   article's answer and cites it in the form's hidden `article` field; the citation shows next to the answer button
   and can be removed. No inline script (CSP); server text goes in with textContent and DOM nodes only, never
   innerHTML. The console and the answer form work without this file. */
(function () {
  "use strict";
  var MAX_QUERY = 500;        // the API refuses a longer q
  var ARTICLES_SHOWN = 5;
  var GUIDES_SHOWN = 3;
  var DEBOUNCE_MS = 300;
  // The API refuses control characters in q; the caller's words arrive with line breaks and tabs.
  var CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;
  // Nor lone surrogates (in unicode mode a proper pair is one code point outside this range) and U+FFFE/U+FFFF;
  // a lone surrogate would also make encodeURIComponent throw.
  var NOT_CHARACTERS = /[\ud800-\udfff\ufffe\uffff]/gu;
  // q travels in the URL, which access logs keep: a caller's phone or ID number never goes there (no article needs
  // one). Six or more digits in a row, with the dashes and the final X an ID number may have.
  var NUMBER = /[0-9０-９][0-9０-９\-－]{4,}[0-9０-９Xx]/g;

  function setUp(panel) {
    if (panel.getAttribute("data-knowledge-ready")) return;  // the script is included once per panel
    panel.setAttribute("data-knowledge-ready", "1");
    var list = panel.querySelector("[data-role=list]");
    var status = panel.querySelector("[data-role=status]");
    var ownQuery = panel.querySelector("[data-role=query]");
    var url = panel.getAttribute("data-api-url");
    var sourceId = panel.getAttribute("data-source-form");
    var source = sourceId ? document.getElementById(sourceId) : null;
    var answerSelector = panel.getAttribute("data-answer-form");
    var answerForm = answerSelector ? document.querySelector(answerSelector) : null;
    var timer = null;
    var lastQuery = null;
    var sequence = 0;
    var chosenId = null;
    var intro = status.textContent;

    function text(name, values) {
      var template = panel.getAttribute("data-text-" + name) || "";
      // A function, so that "$&" in an article's title is taken as written, not as a replacement pattern.
      Object.keys(values || {}).forEach(function (key) {
        template = template.replace("{" + key + "}", function () { return values[key]; });
      });
      return template;
    }

    function clean(value) {
      return (value || "").replace(CONTROL, " ").replace(NOT_CHARACTERS, "").replace(NUMBER, " ")
        .replace(/\s+/g, " ").trim();
    }

    // The words to search for: the operator's own search words, else the caller's title and content.
    function query() {
      var words = ownQuery ? clean(ownQuery.value) : "";
      if (!words && source) {
        var title = source.querySelector("[name=title]");
        var content = source.querySelector("[name=content]");
        words = clean((title ? title.value : "") + " " + (content ? content.value : ""));
      }
      if (!words) words = clean(panel.getAttribute("data-query"));
      // Cut by code points so that a character outside the BMP is never split in half.
      return Array.from(words).slice(0, MAX_QUERY).join("");
    }

    // The passage with its [start, end) highlights (code-point offsets from the server) as <mark> elements.
    function passageNode(passage, highlights) {
      var p = document.createElement("p");
      p.className = "knowledge-passage";
      var chars = Array.from(passage || "");
      var spans = (highlights || []).filter(function (h) {
        return Array.isArray(h) && h.length === 2 && h[0] >= 0 && h[1] > h[0] && h[1] <= chars.length;
      }).sort(function (a, b) { return a[0] - b[0]; });
      var at = 0;
      spans.forEach(function (h) {
        var start = Math.max(h[0], at);
        if (start >= h[1]) return;  // overlaps the previous highlight
        if (start > at) p.appendChild(document.createTextNode(chars.slice(at, start).join("")));
        var mark = document.createElement("mark");
        mark.textContent = chars.slice(start, h[1]).join("");
        p.appendChild(mark);
        at = h[1];
      });
      if (at < chars.length) p.appendChild(document.createTextNode(chars.slice(at).join("")));
      return p;
    }

    function hiddenArticle() {
      var field = answerForm.querySelector("input[name=article]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "article";
        answerForm.appendChild(field);
      }
      return field;
    }

    function markChosen() {
      list.querySelectorAll("[data-article-id]").forEach(function (li) {
        var chosen = li.getAttribute("data-article-id") === chosenId;
        li.classList.toggle("chosen", chosen);
        var button = li.querySelector("button.knowledge-use");
        if (button) {
          button.setAttribute("aria-pressed", chosen ? "true" : "false");
          button.textContent = chosen ? text("used") : text("use");
        }
      });
    }

    // The citation next to the answer button, with its remove button.
    function showCitation(label) {
      var cited = answerForm.querySelector("[data-role=knowledge-cited]");
      if (cited) cited.remove();
      if (!label) return;
      cited = document.createElement("span");
      cited.className = "knowledge-cited";
      cited.setAttribute("data-role", "knowledge-cited");
      cited.setAttribute("data-testid", "knowledge-cited");
      var what = document.createElement("span");
      what.textContent = label;
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "link-button";
      clear.textContent = text("clear");
      clear.addEventListener("click", function () {
        hiddenArticle().value = "";
        chosenId = null;
        showCitation("");
        markChosen();
        status.textContent = text("cleared");
      });
      cited.appendChild(what);
      cited.appendChild(document.createTextNode(" "));
      cited.appendChild(clear);
      var submit = answerForm.querySelector("button[type=submit]");
      if (submit) submit.insertAdjacentElement("afterend", cited);
      else answerForm.appendChild(cited);
    }

    function use(item) {
      var answer = answerForm.querySelector("textarea[name=answer]");
      if (answer) {
        answer.value = item.answer || "";
        answer.dispatchEvent(new Event("input", { bubbles: true }));
      }
      hiddenArticle().value = String(item.id);
      chosenId = String(item.id);
      showCitation(text("cited", { code: item.code, title: item.title }));
      markChosen();
      status.textContent = text("applied", { code: item.code });
      // An article may hold more than an order's answer takes: say so, the form would refuse it.
      var limit = answer ? answer.maxLength : -1;
      if (limit > 0 && answer.value.length > limit) status.textContent = text("too-long", { n: String(limit) });
      if (answer) answer.focus();
    }

    function itemNode(item) {
      var li = document.createElement("li");
      li.className = "knowledge-item knowledge-" + (item.kind === "guide" ? "guide" : "article");
      if (item.kind !== "guide" && item.id !== null && item.id !== undefined) li.setAttribute("data-article-id", String(item.id));
      var head = document.createElement("div");
      head.className = "knowledge-head";
      var kind = document.createElement("span");
      kind.className = "knowledge-kind";
      kind.textContent = item.kind === "guide" ? text("guide") : text("article");
      var link = document.createElement("a");
      link.className = "knowledge-title";
      link.href = item.url || "#";
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = item.title;
      var code = document.createElement("span");
      code.className = "knowledge-code";
      code.textContent = item.code || "";
      head.appendChild(kind);
      head.appendChild(document.createTextNode(" "));
      head.appendChild(link);
      head.appendChild(document.createTextNode(" "));
      head.appendChild(code);
      li.appendChild(head);
      li.appendChild(passageNode(item.passage, item.highlights));
      var facts = [];
      if (item.unit) facts.push(text("unit", { u: item.unit }));
      if (item.valid_to) facts.push(text("valid-to", { d: item.valid_to }));
      else if (item.kind !== "guide" && item.valid_to === null) facts.push(text("valid-always"));
      if (facts.length) {
        var meta = document.createElement("p");
        meta.className = "hint knowledge-meta";
        meta.textContent = facts.join(" · ");
        li.appendChild(meta);
      }
      if (item.kind !== "guide" && item.answer) {
        // The whole answer, for reading it out to the caller on the phone.
        var full = document.createElement("details");
        full.className = "knowledge-full";
        var summary = document.createElement("summary");
        summary.textContent = text("full");
        var body = document.createElement("p");
        body.textContent = item.answer;
        full.appendChild(summary);
        full.appendChild(body);
        li.appendChild(full);
        if (answerForm && item.id !== null && item.id !== undefined) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "button small knowledge-use";
          button.textContent = text("use");
          button.setAttribute("aria-pressed", "false");
          button.addEventListener("click", function () { use(item); });
          li.appendChild(button);
        }
      }
      return li;
    }

    function render(results) {
      list.textContent = "";
      var articles = results.filter(function (r) { return r.kind !== "guide"; }).slice(0, ARTICLES_SHOWN);
      var guides = results.filter(function (r) { return r.kind === "guide"; }).slice(0, GUIDES_SHOWN);
      articles.concat(guides).forEach(function (item) { list.appendChild(itemNode(item)); });
      status.textContent = articles.length || guides.length ? "" : text("none");
      markChosen();
    }

    function search() {
      var q = query();
      if (q === lastQuery) return;
      lastQuery = q;
      var mine = ++sequence;
      if (q.replace(/\s/g, "").length < 2) {
        // The words were erased (the next call begins): no stale articles beside an empty form.
        list.textContent = "";
        status.textContent = intro;
        return;
      }
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q) +
        "&limit=" + (ARTICLES_SHOWN + GUIDES_SHOWN);
      fetch(address, {
        method: "GET",
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (mine !== sequence) return;  // an older answer arriving late
          if (response.ok && Array.isArray(data.results)) {
            render(data.results);
          } else {
            list.textContent = "";
            status.textContent = text("failed", { m: (data && (data.message || data.detail)) || String(response.status) });
          }
        });
      }).catch(function () { /* the form works without the knowledge base */ });
    }

    function later() { clearTimeout(timer); timer = setTimeout(search, DEBOUNCE_MS); }

    if (source) {
      ["title", "content"].forEach(function (name) {
        var field = source.querySelector("[name=" + name + "]");
        if (!field) return;
        field.addEventListener("input", later);
        field.addEventListener("change", search);
      });
    }
    if (ownQuery) {
      ownQuery.addEventListener("input", later);
      ownQuery.addEventListener("search", search);
      ownQuery.addEventListener("keydown", function (event) {
        // Enter searches at once instead of submitting a form the panel may sit in.
        if (event.key === "Enter") { event.preventDefault(); clearTimeout(timer); search(); }
      });
    }
    if (answerForm) {
      // A form sent back with an error keeps its citation: say so next to the button.
      var kept = answerForm.querySelector("input[name=article]");
      if (kept && kept.value) {
        chosenId = kept.value;
        showCitation(text("cited-id", { id: kept.value }));
      }
    }
    search();
  }

  document.querySelectorAll("[data-knowledge-panel]").forEach(setUp);
})();
