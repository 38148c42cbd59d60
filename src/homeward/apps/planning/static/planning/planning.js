/* Homeward 接返计划: the plan's routes on an ECharts map (our own province boundaries, WGS84):
 * trains from origin station to arrival station, buses through their pickups to the factories,
 * shuttles from the arrival station to the factories. No build step. */
(function () {
  "use strict";
  var COLORS = { train: "#c23531", bus: "#2f6fb5", shuttle: "#3a9a5b" };
  var NAMES = { train: "专列", bus: "包车", shuttle: "接驳车" };
  var el = document.getElementById("plan-map");
  if (!el || typeof echarts === "undefined") return;
  var chart = echarts.init(el, null, { renderer: "canvas" });
  window.addEventListener("resize", function () { chart.resize(); });
  Promise.all([
    fetch(el.dataset.boundaries, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
    fetch(el.dataset.map, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
  ]).then(function (res) {
    var geo = res[0], data = res[1];
    geo.features = geo.features.filter(function (f) { return f.properties && f.properties.code; });
    echarts.registerMap("hw-plan", geo);
    var series = [];
    ["bus", "train", "shuttle"].forEach(function (kind) {
      var lines = (data.lines[kind] || []).map(function (l) {
        return { name: l.name, coords: l.coords, value: l.value, from: l.from, to: l.to, id: l.id };
      });
      series.push({
        name: NAMES[kind], type: "lines", coordinateSystem: "geo", polyline: true, data: lines,
        lineStyle: { color: COLORS[kind], width: kind === "train" ? 2.5 : 1, opacity: kind === "bus" ? 0.45 : 0.8 },
        emphasis: { lineStyle: { width: 4, opacity: 1 } },
        zlevel: kind === "train" ? 3 : kind === "shuttle" ? 2 : 1,
      });
    });
    series.push({
      name: "车站", type: "scatter", coordinateSystem: "geo", symbolSize: 5, data: data.stations,
      itemStyle: { color: "#333" }, tooltip: { formatter: function (p) { return p.name; } }, zlevel: 4,
    });
    series.push({
      name: data.city.name, type: "effectScatter", coordinateSystem: "geo", symbolSize: 10,
      data: [{ name: data.city.name, value: data.city.coord }], itemStyle: { color: "#e6a23c" }, zlevel: 5,
    });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (p.seriesType === "lines" && p.data) return p.data.name + "<br>" + p.data.from + " → " + p.data.to + "<br>" + p.data.value + " 人";
          return p.name || "";
        },
      },
      legend: { top: 4, left: 4, data: ["专列", "包车", "接驳车"] },
      geo: {
        map: "hw-plan", roam: true, center: [112, 30], zoom: 1.6,
        itemStyle: { areaColor: "#f3f4f6", borderColor: "#aab" },
        emphasis: { disabled: true },
      },
      series: series,
    });
    el.dataset.ready = "1";
    chart.on("click", function (p) {
      if (p.seriesType === "lines" && p.data && p.data.id) window.location.href = "vehicles/" + p.data.id + "/";
    });
  });
})();
