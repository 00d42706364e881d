// WHO growth charts: the -3 ... +3 SD lines and, on a child's page, the child's points.
// Each <div class="growth-chart" data-json="ID"> reads <script type="application/json" id="ID">
// {lines: {"-3": [[x, y], ...], ...}, points: [[x, y], ...], x_unit, y_unit, labels}.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var colours = { "-3": "#8a1414", "-2": "#d9480f", "-1": "#9aa5a0", "0": "#1d5c3f",
                  "1": "#9aa5a0", "2": "#d9480f", "3": "#8a1414" };
  function draw(el) {
    var src = document.getElementById(el.getAttribute("data-json"));
    if (!src) { return; }
    var data = JSON.parse(src.textContent);
    var series = Object.keys(data.lines).sort(function (a, b) { return a - b; }).map(function (z) {
      var name = (z > 0 ? "+" : "") + z + " SD";
      return { name: name, type: "line", showSymbol: false, data: data.lines[z], silent: true,
               lineStyle: { width: z === "0" ? 2.5 : 1.5, color: colours[z],
                            type: (z === "-1" || z === "1") ? "dashed" : "solid" },
               itemStyle: { color: colours[z] },
               endLabel: { show: true, formatter: name, color: colours[z], fontSize: 11 } };
    });
    if (data.points && data.points.length) {
      series.push({ name: data.labels.child, type: "line", data: data.points, symbolSize: 8,
                    lineStyle: { color: "#1b1f1d", width: 2 }, itemStyle: { color: "#1b1f1d" }, z: 10 });
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 56, top: 32, bottom: 44 },
      tooltip: { trigger: "item" },
      xAxis: data.x_unit === "month"
        ? { type: "value", name: data.labels.x, nameLocation: "middle", nameGap: 28,
            min: 0, max: 60, interval: 6 }
        : { type: "value", name: data.labels.x, nameLocation: "middle", nameGap: 28,
            min: "dataMin", max: "dataMax" },
      yAxis: { type: "value", name: data.y_unit, scale: true },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-ready", "1");
  }
  var charts = document.querySelectorAll(".growth-chart[data-json]");
  for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
}());
