/* GovDesk unit assessment: a bar chart of the month's scores and a line chart of one unit's trend (score, rank and
 * the application and 好差评 rates its rule set weighed).
 *
 * No inline script (CSP): the page hands the data and translated labels over in one json_script block.
 * Each chart container gets data-rendered="1" after ECharts reports the chart drawn ("finished"), like the dashboard.
 * Clicking a bar shows that unit's trend.
 */
(function () {
  "use strict";

  var root = document.getElementById("assessment");
  var dataNode = document.getElementById("assessment-data");
  if (!root || !dataNode || !window.echarts) return;
  var data = JSON.parse(dataNode.textContent);
  var L = data.labels || {};
  var COLORS = ["#0b4a8f", "#d4380d", "#1d6b3a", "#d49a00", "#6b3fa0"];
  var charts = [];

  function baseOption() {
    return {
      color: COLORS,
      animationDuration: 400,
      textStyle: { fontFamily: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif", fontSize: 13 },
      tooltip: { confine: true, textStyle: { fontSize: 14 } },
      grid: { left: 12, right: 24, top: 36, bottom: 12, containLabel: true }
    };
  }

  function emptyGraphic(empty) {
    if (!empty) return [];
    return [{ type: "text", left: "center", top: "middle", style: { text: L.no_data, fontSize: 18, fill: "#5b6777" } }];
  }

  function draw(id, option, onClick) {
    var container = document.getElementById(id);
    if (!container) return;
    var chart = echarts.init(container, null, { renderer: "canvas" });
    chart.on("finished", function () { container.setAttribute("data-rendered", "1"); });
    if (onClick) chart.on("click", onClick);
    chart.setOption(option, true);
    charts.push(chart);
  }

  function drawScores() {
    var rows = data.scores || [];
    var option = baseOption();
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = {
      type: "category",
      data: rows.map(function (r) { return r.name; }),
      axisLabel: { interval: 0, rotate: rows.length > 8 ? 40 : 0, fontSize: 12 }
    };
    option.yAxis = { type: "value", min: 0, max: 100, name: L.score };
    option.series = [{
      id: "scores",
      name: L.score,
      type: "bar",
      data: rows.map(function (r) { return { value: r.score, unit: r.unit }; }),
      label: { show: rows.length <= 20, position: "top", fontSize: 12 }
    }];
    option.graphic = emptyGraphic(!rows.length);
    draw("chart-scores", option, function (params) {
      var unit = params.data && params.data.unit;
      if (!unit) return;
      var url = new URL(window.location.href);
      url.searchParams.set("unit", unit);
      window.location.assign(url.toString());
    });
  }

  function drawTrend() {
    var trend = data.trend;
    var months = (trend && trend.months) || [];
    var option = baseOption();
    option.tooltip.trigger = "axis";
    option.legend = { top: 0 };
    option.xAxis = { type: "category", data: months.map(function (m) { return m.month; }) };
    option.yAxis = [
      { type: "value", min: 0, max: 100, name: L.score },
      // At least 1..2: a unit ranked 1st every month would otherwise get an axis from 0.5 (ECharts pads a flat range).
      { type: "value", inverse: true, minInterval: 1, min: 1, max: function (v) { return Math.max(v.max, 2); }, name: L.rank }
    ];
    option.series = [
      { id: "score", name: L.score, type: "line", connectNulls: false, symbolSize: 7,
        data: months.map(function (m) { return m.score; }) },
      { id: "rank", name: L.rank, type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 7, lineStyle: { type: "dashed" },
        data: months.map(function (m) { return m.rank; }) }
    ];
    // The application and 好差评 rates the score was made of, in % on the score's 0–100 axis (only those weighted).
    Object.keys(L.rates || {}).forEach(function (key) {
      var values = months.map(function (m) {
        var rate = m.service_rates ? m.service_rates[key] : null;
        return rate === null || rate === undefined ? null : Math.round(rate * 1000) / 10;
      });
      if (!values.some(function (v) { return v !== null; })) return;
      option.series.push({ id: "rate-" + key, name: L.rates[key] + " (%)", type: "line", connectNulls: false,
        symbolSize: 5, lineStyle: { width: 1.5, type: "dotted" }, data: values });
    });
    option.graphic = emptyGraphic(!months.some(function (m) { return m.score !== null; }));
    draw("chart-trend", option, null);
  }

  drawScores();
  drawTrend();
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
