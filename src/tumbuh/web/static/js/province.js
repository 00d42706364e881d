// Province page: Leaflet choropleth (no tile server) and ECharts sparklines.
// Data comes from <script type="application/json" id="province-data"> (no inline script, CSP-safe).
(function () {
  "use strict";
  var el = document.getElementById("province-data");
  if (!el) { return; }
  var data = JSON.parse(el.textContent);
  var lang = document.documentElement.lang || "id";
  function fmt(v) {
    if (v === null || v === undefined) { return data.labels.no_value; }
    return v.toLocaleString(lang === "id" ? "id-ID" : "en-GB",
      { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " %";
  }
  function colour(v) {
    if (v === null || v === undefined) { return "#d9d9d9"; }
    for (var i = 0; i < data.bands.length; i++) {
      if (v < data.bands[i].upper) { return data.bands[i].color; }
    }
    return data.bands[data.bands.length - 1].color;
  }
  var mapEl = document.getElementById("map");
  if (mapEl && window.L) {
    var map = L.map(mapEl, { zoomSnap: 0.25, attributionControl: true });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(data.labels.attribution);
    fetch(data.geojson_url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        var layer = L.geoJSON(geo, {
          style: function (f) {
            return { color: "#333", weight: 1, fillOpacity: 0.85,
                     fillColor: colour(data.values[f.properties.kode]) };
          },
          onEachFeature: function (f, l) {
            var v = data.values[f.properties.kode];
            l.bindTooltip(f.properties.nama + ": " + fmt(v), { sticky: true });
            l.on("click", function () { window.location.href = "/regions/" + f.properties.kode; });
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        // Each shape carries its region code (tests and assistive tools find it by code);
        // the paths exist once the map has a view.
        layer.eachLayer(function (l) {
          var pathEl = l.getElement && l.getElement();
          if (pathEl) { pathEl.setAttribute("data-code", l.feature.properties.kode); }
        });
        mapEl.setAttribute("data-ready", "1");
      });
  }
  if (window.echarts) {
    var sparks = document.querySelectorAll(".spark");
    for (var i = 0; i < sparks.length; i++) {
      var series = JSON.parse(sparks[i].getAttribute("data-series"));
      var chart = echarts.init(sparks[i], null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 4, bottom: 4 },
        xAxis: { type: "category", show: false, data: series.map(function (p) { return p.label; }) },
        yAxis: { type: "value", show: false, scale: true },
        tooltip: { trigger: "axis", valueFormatter: fmt, confine: true },
        series: [{ type: "line", data: series.map(function (p) { return p.value; }),
                   symbolSize: 5, lineStyle: { width: 2, color: "#1d5c3f" }, itemStyle: { color: "#1d5c3f" } }]
      });
    }
  }
}());
