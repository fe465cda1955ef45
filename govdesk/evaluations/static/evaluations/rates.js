/* 好差评 rates: a bar chart of the satisfaction rate and the bad ratings per unit, from the page's json_script
 * block (no inline script: CSP). The container gets data-rendered="1" once ECharts has drawn it. */
(function () {
  "use strict";
  var box = document.getElementById("rates-chart");
  var source = document.getElementById("rates-data");
  if (!box || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(box);
  chart.on("finished", function () { box.setAttribute("data-rendered", "1"); });
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [data.labels.satisfaction, data.labels.bad] },
    grid: { left: 48, right: 48, bottom: 80 },
    xAxis: { type: "category", data: data.units, axisLabel: { interval: 0, rotate: 30 } },
    yAxis: [
      { type: "value", min: 0, max: 100, name: "%" },
      { type: "value", minInterval: 1 }
    ],
    series: [
      { name: data.labels.satisfaction, type: "bar", data: data.satisfaction, itemStyle: { color: "#1d6b3a" } },
      { name: data.labels.bad, type: "bar", yAxisIndex: 1, data: data.bad, itemStyle: { color: "#b4232a" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
