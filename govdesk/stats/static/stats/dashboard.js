/* GovDesk statistics dashboard: fetches GET /api/v1/stats/overview/ with the filter bar's values and draws it.
 *
 * No inline script (CSP): the page hands its URLs and translated labels over in two json_script blocks.
 * Each chart container gets data-rendered="1" after ECharts reports the chart drawn ("finished").
 * Clicking a bar, slice or point opens the order list with the filters behind it.
 */
(function () {
  "use strict";

  var root = document.getElementById("stats-dashboard");
  if (!root || !window.echarts) return;
  var config = JSON.parse(document.getElementById("stats-config").textContent);
  var L = JSON.parse(document.getElementById("stats-labels").textContent);
  var form = document.getElementById("stats-filters");
  var errorBox = document.getElementById("stats-error");
  var statusLine = document.getElementById("stats-status");
  var FILTERS = ["date_from", "date_to", "unit", "category", "type", "channel"];
  // Rates where a rise is bad news: their arrows are red when they go up.
  var LOWER_IS_BETTER = { "return": true, "repeat_call": true };
  var COLORS = ["#0b4a8f", "#d4380d", "#1d6b3a", "#d49a00", "#6f42c1", "#0e7c86", "#b4232a", "#5b6777", "#2f7fd1", "#8a5a00"];

  var charts = {};
  var current = null; // the last overview drawn
  var seriesType = "line";
  var requestSeq = 0;
  var big = false;

  // --- filters and URLs -----------------------------------------------------------------------------------------

  function field(name) { return form.elements.namedItem(name); }

  function currentFilters() {
    var f = {};
    FILTERS.forEach(function (name) {
      var el = field(name);
      if (el && el.value) f[name] = el.value;
    });
    if (config.locked_unit) f.unit = config.locked_unit;
    return f;
  }

  function query(params) {
    return Object.keys(params)
      .filter(function (k) { return params[k] !== null && params[k] !== undefined && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
  }

  function assign(target, source) {
    Object.keys(source).forEach(function (k) { target[k] = source[k]; });
    return target;
  }

  function monthValue() {
    var input = document.getElementById("report-month");
    return input ? input.value : "";
  }

  function updateLinks(filters) {
    var exportLink = document.getElementById("export-stats");
    if (exportLink) exportLink.href = config.stats_xlsx + "?" + query(filters);
    var month = monthValue();
    var valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
    ["monthly_pdf", "monthly_xlsx"].forEach(function (key) {
      var link = document.getElementById(key.replace("_", "-"));
      if (!link) return;
      if (valid) {
        link.href = config[key].replace(config.sample_month, month);
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
    });
    var monthInput = document.getElementById("report-month");
    if (monthInput) monthInput.setCustomValidity(valid ? "" : L.error_month);
  }

  // The order list's filters for the current statistics filters plus `extra` (period, status, …).
  function ordersUrl(extra, live) {
    var applied = (current && current.filters) || currentFilters();
    var params = {};
    if (!live) {
      params.created_from = applied.date_from;
      params.created_to = applied.date_to;
    }
    // The statistics count a unit's orders by their primary unit, the unit's subtree included (not co-units).
    if (applied.unit) params.primary_unit = applied.unit;
    if (applied.category) params.category = applied.category;
    if (applied.type) params.type = applied.type;
    if (applied.channel) params.channel = applied.channel;
    assign(params, extra || {});
    return config.orders + "?" + query(params);
  }

  function isoDate(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  // The days [first, last] of one point of the volume series, clipped to the filtered period.
  function periodRange(period, granularity) {
    var parts = period.split("-").map(Number);
    var start = new Date(parts[0], parts[1] - 1, parts[2] || 1);
    var end;
    if (granularity === "month") end = new Date(start.getFullYear(), start.getMonth() + 1, 0);
    // Weeks run Monday to Sunday; the first point may start mid-week (the period's first day).
    else if (granularity === "week") end = new Date(start.getFullYear(), start.getMonth(), start.getDate() + (7 - start.getDay()) % 7);
    else end = start;
    var first = isoDate(start);
    var last = isoDate(end);
    var applied = current.filters;
    if (applied.date_from && first < applied.date_from) first = applied.date_from;
    if (applied.date_to && last > applied.date_to) last = applied.date_to;
    return { created_from: first, created_to: last };
  }

  // --- loading --------------------------------------------------------------------------------------------------

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    root.setAttribute("data-state", "error");
    statusLine.textContent = "";
  }

  function errorMessage(status, body) {
    if (status === 400 && body) {
      var parts = [];
      if (body.fields) {
        Object.keys(body.fields).forEach(function (name) {
          [].concat(body.fields[name]).forEach(function (m) { parts.push(m); });
        });
      }
      if (!parts.length && body.message) parts.push(body.message);
      return L.error_bad_request + "：" + parts.join("；");
    }
    if (status === 403) return (body && body.message) || L.error_forbidden;
    if (status >= 400 && status < 500 && body && body.message) return body.message;
    return L.error_server;
  }

  function load() {
    var filters = currentFilters();
    var seq = ++requestSeq;
    var pageParams = assign({ period: field("period") ? field("period").value : "" }, filters);
    if (config.locked_unit) delete pageParams.unit;
    history.replaceState(null, "", "?" + query(pageParams));
    updateLinks(filters);
    errorBox.hidden = true;
    root.setAttribute("data-state", "loading");
    statusLine.textContent = L.loading;
    fetch(config.api + "?" + query(filters), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          return { status: response.status, ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (seq !== requestSeq) return;
        if (!result.ok || !result.body) {
          showError(errorMessage(result.status, result.body));
          return;
        }
        current = result.body;
        draw();
        var now = new Date();
        statusLine.textContent = L.updated + " " + now.toLocaleTimeString("zh-CN", { hour12: false });
        root.setAttribute("data-state", "ready");
      })
      .catch(function () {
        if (seq === requestSeq) showError(L.error_network);
      });
  }

  // --- formatting -----------------------------------------------------------------------------------------------

  function fmtInt(n) { return Number(n || 0).toLocaleString("zh-CN"); }
  function fmtRate(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }

  function fmtDateTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return d.toLocaleString("zh-CN", {
      timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false
    });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // --- key figures ----------------------------------------------------------------------------------------------

  function changeBadge(value, isRate, lowerIsBetter) {
    var span = el("span", { "class": "kpi-change" });
    if (value === null || value === undefined) {
      span.textContent = L.vs_previous + " —";
      span.classList.add("flat");
      return span;
    }
    var amount = isRate ? Math.abs(value * 100).toFixed(1) + " " + L.points : Math.abs(value * 100).toFixed(1) + "%";
    if (Math.abs(value) < 1e-9) {
      span.textContent = L.vs_previous + " " + L.no_change;
      span.classList.add("flat");
      return span;
    }
    var up = value > 0;
    span.textContent = (up ? "▲ " : "▼ ") + amount;
    span.setAttribute("aria-label", L.vs_previous + " " + (up ? "+" : "-") + amount);
    if (isRate) span.classList.add((up !== Boolean(lowerIsBetter)) ? "good" : "bad");
    else span.classList.add(up ? "up" : "down");
    return span;
  }

  function kpiCard(key, label, valueText, change, tip, href) {
    var card = el(href ? "a" : "div", { "class": "kpi", "data-kpi": key, tabindex: "0" });
    if (href) { card.setAttribute("href", href); card.removeAttribute("tabindex"); }
    card.appendChild(el("span", { "class": "kpi-label" }, label));
    card.appendChild(el("span", { "class": "kpi-value" }, valueText));
    card.appendChild(change);
    var tipBox = el("span", { "class": "kpi-tip", role: "tooltip" });
    tip.forEach(function (line) { tipBox.appendChild(el("span", {}, line)); });
    card.appendChild(tipBox);
    card.setAttribute("title", tip.join("\n"));
    return card;
  }

  function drawKpis(data) {
    var box = document.getElementById("kpis");
    box.textContent = "";
    var prev = data.previous || {};
    var change = data.change || { rates: {} };
    box.appendChild(kpiCard(
      "total", L.total, fmtInt(data.total), changeBadge(change.total, false, false),
      [L.total_formula, L.previous + "（" + (prev.date_from || "") + " — " + (prev.date_to || "") + "）：" + fmtInt(prev.total)],
      config.drill ? ordersUrl({}) : null
    ));
    (data.rate_definitions || []).forEach(function (def) {
      var value = (data.rates || {})[def.key];
      var parts = (data.rate_parts || {})[def.key] || {};
      var prevRates = prev.rates || {};
      var tip = [
        def.label + " = " + def.formula,
        L.numerator + " " + fmtInt(parts.numerator) + " / " + L.denominator + " " + fmtInt(parts.denominator),
        L.previous + "：" + fmtRate(prevRates[def.key])
      ];
      if (value === null || value === undefined) tip.push(L.not_applicable);
      box.appendChild(kpiCard(def.key, def.label, fmtRate(value),
        changeBadge((change.rates || {})[def.key], true, LOWER_IS_BETTER[def.key]), tip, null));
    });
  }

  // --- charts ---------------------------------------------------------------------------------------------------

  function scale(n) { return big ? Math.round(n * 1.5) : n; }

  function chart(name) {
    if (charts[name]) return charts[name];
    var container = document.getElementById("chart-" + name);
    var instance = echarts.init(container, null, { renderer: "canvas" });
    instance.on("finished", function () { container.setAttribute("data-rendered", "1"); });
    instance.on("click", function (params) {
      if (!config.drill) return;
      var url = drillUrl(name, params);
      if (url) window.location.assign(url);
    });
    charts[name] = instance;
    return instance;
  }

  function drillUrl(name, params) {
    if (!current) return null;
    var row;
    if (name === "series") {
      row = current.series[params.dataIndex];
      if (!row) return null;
      var range = periodRange(row.period, current.granularity);
      if (params.seriesId === "closed") range.status = "closed";
      return ordersUrl(range);
    }
    var keyField = { channel: "channel", type: "type", category: "category", unit: "primary_unit", street: "street", status: "status" }[name];
    row = params.data && params.data.row;
    if (!keyField || !row) return null;
    var extra = {};
    if (name === "unit") {
      // A unit's bar counts the orders whose primary unit is that very unit (units below it have bars of their
      // own); the bar without a key counts the orders not dispatched to any unit.
      if (row.key === null || row.key === undefined) extra.primary_unit = "none";
      else { extra.primary_unit = row.key; extra.primary_unit_only = "1"; }
      return ordersUrl(extra);
    }
    if (row.key === null || row.key === undefined) return null;
    extra[keyField] = row.key;
    return ordersUrl(extra);
  }

  function baseOption() {
    return {
      color: COLORS,
      animationDuration: 400,
      textStyle: { fontFamily: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif", fontSize: scale(13) },
      tooltip: { confine: true, textStyle: { fontSize: scale(14) } },
      grid: { left: 12, right: 24, top: 36, bottom: 12, containLabel: true }
    };
  }

  function emptyGraphic(rows) {
    if (rows && rows.length && rows.some(function (r) { return r.total > 0; })) return [];
    return [{ type: "text", left: "center", top: "middle", style: { text: L.no_data, fontSize: scale(18), fill: "#5b6777" } }];
  }

  function render(name, option) {
    var container = document.getElementById("chart-" + name);
    container.setAttribute("data-rendered", "0");
    container.classList.toggle("drillable", Boolean(config.drill));
    chart(name).setOption(option, true);
  }

  function drawSeries(data) {
    var rows = data.series || [];
    var gran = document.getElementById("granularity");
    if (gran) gran.textContent = "（" + (L[data.granularity] || "") + "）";
    var option = baseOption();
    option.tooltip.trigger = "axis";
    option.legend = { top: 0, textStyle: { fontSize: scale(13) } };
    option.xAxis = { type: "category", data: rows.map(function (r) { return r.label; }), axisLabel: { fontSize: scale(12) } };
    option.yAxis = { type: "value", minInterval: 1, axisLabel: { fontSize: scale(12) } };
    option.series = [
      { id: "total", name: L.series_total, type: seriesType, data: rows.map(function (r) { return r.total; }), smooth: false, symbolSize: scale(7) },
      { id: "closed", name: L.series_closed, type: seriesType, data: rows.map(function (r) { return r.closed; }), smooth: false, symbolSize: scale(7) }
    ];
    option.graphic = emptyGraphic(rows);
    render("series", option);
  }

  function barRows(rows) {
    return rows.map(function (r) { return { value: r.total, name: r.label, row: r }; });
  }

  function drawBar(name, rows, horizontal, tooltipFormatter) {
    var option = baseOption();
    option.tooltip.trigger = "item";
    if (tooltipFormatter) option.tooltip.formatter = tooltipFormatter;
    else option.tooltip.formatter = function (p) { return echarts.format.encodeHTML(p.name) + "：" + fmtInt(p.value) + " " + L.orders; };
    var categoryAxis = {
      type: "category", data: rows.map(function (r) { return r.label; }),
      axisLabel: { fontSize: scale(12), interval: 0, width: horizontal ? scale(140) : scale(90), overflow: "truncate" }
    };
    if (!horizontal) categoryAxis.axisLabel.rotate = rows.length > 6 ? 30 : 0;
    var valueAxis = { type: "value", minInterval: 1, axisLabel: { fontSize: scale(12) } };
    option.xAxis = horizontal ? valueAxis : categoryAxis;
    option.yAxis = horizontal ? categoryAxis : valueAxis;
    option.series = [{
      type: "bar", data: barRows(rows), barMaxWidth: scale(42),
      label: { show: true, position: horizontal ? "right" : "top", fontSize: scale(12), fontWeight: "bold" }
    }];
    option.graphic = emptyGraphic(rows);
    render(name, option);
  }

  function drawPie(name, rows) {
    var option = baseOption();
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      return echarts.format.encodeHTML(p.name) + "：" + fmtInt(p.value) + " " + L.orders + "（" + p.percent + "%）";
    };
    option.legend = { bottom: 0, type: "scroll", textStyle: { fontSize: scale(13) } };
    option.series = [{
      type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"], data: barRows(rows),
      label: { formatter: "{b}\n{c}", fontSize: scale(13) }
    }];
    option.graphic = emptyGraphic(rows);
    render(name, option);
  }

  function unitTooltip(p) {
    var row = p.data.row;
    var lines = ["<strong>" + echarts.format.encodeHTML(row.label) + "</strong>", L.total + "：" + fmtInt(row.total)];
    (current.rate_definitions || []).forEach(function (def) {
      lines.push(echarts.format.encodeHTML(def.label) + "：" + fmtRate((row.rates || {})[def.key]));
    });
    if (config.drill) lines.push("<em>" + echarts.format.encodeHTML(L.drill_hint) + "</em>");
    return lines.join("<br>");
  }

  function drawUnits(data) {
    var rows = (data.by_unit || []).slice().sort(function (a, b) { return b.total - a.total; }).slice(0, config.top_units);
    var top = document.getElementById("unit-top");
    if (top) top.textContent = (data.by_unit || []).length > config.top_units ? "（" + L.top_units + "）" : "";
    var container = document.getElementById("chart-unit");
    container.style.height = Math.max(scale(260), rows.length * scale(30) + 60) + "px";
    chart("unit").resize();
    drawBar("unit", rows.reverse(), true, unitTooltip);
  }

  function drawTable(kind, block, liveFilter) {
    var table = document.getElementById(kind + "-table");
    var body = table.querySelector("tbody");
    body.textContent = "";
    var items = (block && block.items) || [];
    document.getElementById(kind + "-total").textContent = fmtInt(block ? block.total : 0);
    var all = document.getElementById(kind + "-all");
    if (all) all.href = ordersUrl(liveFilter, true);
    if (!items.length) {
      var row = el("tr");
      row.appendChild(el("td", { colspan: "4", "class": "empty" }, L.none));
      body.appendChild(row);
      return;
    }
    items.forEach(function (item) {
      var tr = el("tr", { "class": kind === "overdue" ? "overdue" : "due-soon" });
      var cell = el("td");
      cell.appendChild(el("a", { href: config.order_detail.replace("__number__", encodeURIComponent(item.number)) }, item.number));
      tr.appendChild(cell);
      tr.appendChild(el("td", {}, item.title));
      tr.appendChild(el("td", {}, item.unit_name || item.unit || ""));
      tr.appendChild(el("td", { "class": "deadline " + (kind === "overdue" ? "overdue" : "due-soon") }, fmtDateTime(item.due_at)));
      body.appendChild(tr);
    });
  }

  function syncFilters(data) {
    // The API fills in the default period: show the dates it used.
    ["date_from", "date_to"].forEach(function (name) {
      var input = field(name);
      if (input && !input.value && data.filters && data.filters[name]) input.value = data.filters[name];
    });
  }

  function draw() {
    if (!current) return;
    var data = current;
    syncFilters(data);
    drawKpis(data);
    drawSeries(data);
    drawPie("channel", data.by_channel || []);
    drawBar("type", data.by_type || [], false);
    drawBar("category", data.by_category || [], false);
    drawBar("status", data.by_status || [], false);
    drawUnits(data);
    drawBar("street", data.by_street || [], false);
    drawTable("overdue", data.overdue, { overdue: "1" });
    drawTable("due-soon", data.due_soon, { due_soon: "1" });
  }

  function resizeAll() {
    Object.keys(charts).forEach(function (name) { charts[name].resize(); });
  }

  // --- events ---------------------------------------------------------------------------------------------------

  var timer = null;
  function loadSoon() { clearTimeout(timer); timer = setTimeout(load, 250); }

  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); load(); });
  form.addEventListener("change", function (event) {
    var target = event.target;
    var period = field("period");
    if (target === period) {
      var preset = config.presets[period.value];
      if (preset) {
        field("date_from").value = preset[0];
        field("date_to").value = preset[1];
      }
    } else if ((target.name === "date_from" || target.name === "date_to") && period) {
      period.value = "custom";
    }
    loadSoon();
  });

  var monthInput = document.getElementById("report-month");
  if (monthInput) {
    monthInput.addEventListener("input", function () { updateLinks(currentFilters()); });
    monthInput.addEventListener("change", function () { updateLinks(currentFilters()); });
  }

  document.querySelectorAll("[data-series-type]").forEach(function (button) {
    button.addEventListener("click", function () {
      seriesType = button.getAttribute("data-series-type");
      document.querySelectorAll("[data-series-type]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      if (current) drawSeries(current);
    });
  });

  var toggle = document.getElementById("bigscreen-toggle");
  function setBig(on) {
    big = on;
    document.body.classList.toggle("stats-bigscreen", on);
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? L.bigscreen_off : L.bigscreen_on;
    // Redraw with larger text once the layout has settled.
    setTimeout(function () { resizeAll(); draw(); }, 60);
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      var on = !big;
      if (on && document.documentElement.requestFullscreen && !document.fullscreenElement) {
        document.documentElement.requestFullscreen().catch(function () { /* a projector works without it */ });
      } else if (!on && document.fullscreenElement && document.exitFullscreen) {
        document.exitFullscreen().catch(function () { /* already left */ });
      }
      setBig(on);
    });
    document.addEventListener("fullscreenchange", function () {
      if (!document.fullscreenElement && big) setBig(false);
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(resizeAll, 150); });

  load();
})();
