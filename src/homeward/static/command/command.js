/* Homeward 指挥大屏: the live command dashboard. The first board comes with the page (json_script);
 * then the page polls GET /api/v1/command/board every refreshSeconds (paused while the tab is hidden)
 * and redraws: vehicles on the road on an ECharts map over our own province boundaries (WGS84),
 * workers by stage as a bar chart, the deadlines at risk and the arrivals by town as tables.
 * The words come from the page (its language). No build step. */
(function () {
  "use strict";
  var COLORS = { train: "#ff6b6b", bus: "#4dabf7", shuttle: "#69db7c" };
  var LATE = "#ffd43b";
  var STAGES = ["home", "vehicle", "station", "shuttle", "factory"];
  var words = {};

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  function set(id, v) { var n = document.getElementById(id); if (n) n.textContent = String(v); }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function rows(id, items, fill) {
    var body = document.getElementById(id);
    body.innerHTML = "";
    if (!items.length) {
      var tr = document.createElement("tr");
      var td = cell(tr, words.none, "empty");
      td.colSpan = 9;
      body.appendChild(tr);
      return;
    }
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      fill(tr, item);
      body.appendChild(tr);
    });
  }
  function stageName(s) { return s === "shuttle" ? words.shuttle_stage : words[s]; }

  var Screen = {};

  Screen.drawMap = function (board) {
    if (!Screen.map) return;
    var series = ["bus", "train", "shuttle"].map(function (kind) {
      return {
        name: words[kind], type: "scatter", coordinateSystem: "geo", symbolSize: kind === "train" ? 14 : 8,
        itemStyle: { color: COLORS[kind] }, zlevel: 2,
        data: board.vehicles.filter(function (v) { return v.kind === kind && !v.late; }).map(Screen.point),
      };
    });
    series.push({
      name: words.late, type: "effectScatter", coordinateSystem: "geo", symbolSize: 11,
      rippleEffect: { scale: 3 }, itemStyle: { color: LATE }, zlevel: 3,
      data: board.vehicles.filter(function (v) { return v.late; }).map(Screen.point),
    });
    if (Screen.city) series.push({
      name: Screen.city.name, type: "scatter", coordinateSystem: "geo", symbol: "pin", symbolSize: 26,
      itemStyle: { color: "#ffd166" }, zlevel: 4, data: [{ name: Screen.city.name, value: Screen.city.coord }],
    });
    Screen.map.setOption({ series: series, legend: { data: [words.bus, words.train, words.shuttle, words.late] } });
    document.getElementById("cmd-map").dataset.vehicles = String(board.vehicles.length);
  };

  Screen.point = function (v) { return { name: v.name, value: [v.lon, v.lat], v: v }; };

  Screen.tooltip = function (p) {
    var v = p.data && p.data.v;
    if (!v) return p.name || "";
    var late = v.late ? "<br>" + words.late + " " + v.delay_min + " " + words.minutes : "";
    return words[v.kind] + " " + v.name + "<br>" + v.origin + " → " + v.destination +
      "<br>" + words.eta + " " + v.eta_text + late + "<br>" + v.riders + " / " + v.passengers + " " + words.people;
  };

  Screen.render = function (board) {
    var s = board.vehicle_states, t = board.total;
    set("cmd-clock", board.now_text);
    set("cmd-in-transit", s.in_transit);
    set("cmd-late", s.late);
    set("cmd-arrived", s.arrived);
    set("cmd-workers-today", t.workers_today);
    set("cmd-workers-total", t.workers_total);
    set("cmd-observation", board.stages.observation);
    set("cmd-at-risk-total", board.at_risk.total);
    Screen.drawMap(board);
    if (Screen.stages) Screen.stages.setOption({
      series: [{ data: STAGES.map(function (k) { return board.stages[k]; }) }],
    });
    var stagesEl = document.getElementById("cmd-stages");
    STAGES.forEach(function (k) { stagesEl.dataset[k] = String(board.stages[k]); });
    rows("cmd-vehicles", board.vehicles.slice(0, 40), function (tr, v) {
      if (v.late) tr.className = "late";
      cell(tr, words[v.kind] + " " + v.name);
      cell(tr, v.state === "waiting" ? words.waiting : v.eta_text);
      cell(tr, v.late ? v.delay_min + " " + words.minutes : words.on_time);
    });
    rows("cmd-at-risk", board.at_risk.rows, function (tr, a) {
      tr.className = "level-" + a.level;
      cell(tr, "#" + a.id);
      cell(tr, a.enterprise);
      cell(tr, a.town);
      cell(tr, a.workers, "n");
      cell(tr, a.deadline_text);
      cell(tr, a.remaining, "n");
      var state = words["level_" + a.level] || a.level;
      cell(tr, a.at_risk ? state + " · " + words.planner_at_risk : state).title = a.reason || "";
    });
    var towns = board.towns.concat([Object.assign({}, t, { town: words.total, total: true })]);
    rows("cmd-towns", towns, function (tr, r) {
      if (r.total) tr.className = "total";
      cell(tr, r.town);
      ["buses_today", "buses_total", "trains_today", "trains_total", "workers_today", "workers_total"].forEach(
        function (k) { cell(tr, r[k], "n"); });
    });
  };

  Screen.poll = function () {
    if (document.hidden) return Promise.resolve();
    return fetch(Screen.api, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (board) {
        document.getElementById("cmd-offline").hidden = true;
        Screen.render(board);
        Screen.polls = (Screen.polls || 0) + 1;
        document.body.dataset.polls = String(Screen.polls);
      })
      .catch(function () { document.getElementById("cmd-offline").hidden = false; });
  };

  Screen.start = function (cfg) {
    words = data("cmd-words");
    Screen.api = cfg.api;
    var mapEl = document.getElementById("cmd-map");
    var stagesEl = document.getElementById("cmd-stages");
    var board = data("cmd-board");
    if (mapEl.dataset.cityName) Screen.city = {
      name: mapEl.dataset.cityName, coord: [parseFloat(mapEl.dataset.cityLon), parseFloat(mapEl.dataset.cityLat)],
    };
    if (typeof echarts !== "undefined") {
      Screen.stages = echarts.init(stagesEl, null, { renderer: "canvas" });
      Screen.stages.setOption({
        grid: { left: 70, right: 20, top: 10, bottom: 20 },
        xAxis: { type: "value", axisLabel: { color: "#98a2b3" }, splitLine: { lineStyle: { color: "#1f3b5c" } } },
        yAxis: { type: "category", inverse: true, data: STAGES.map(stageName), axisLabel: { color: "#e4e7ec", fontSize: 14 } },
        series: [{ type: "bar", data: [], itemStyle: { color: "#4dabf7" }, label: { show: true, position: "right", color: "#fff" } }],
      });
      window.addEventListener("resize", function () { Screen.stages.resize(); if (Screen.map) Screen.map.resize(); });
      Screen.ready = fetch(mapEl.dataset.boundaries, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) {
          geo.features = geo.features.filter(function (f) { return f.properties && f.properties.code; });
          echarts.registerMap("hw-command", geo);
          Screen.map = echarts.init(mapEl, null, { renderer: "canvas" });
          Screen.map.setOption({
            tooltip: { trigger: "item", formatter: Screen.tooltip },
            legend: { top: 4, left: 4, textStyle: { color: "#e4e7ec" } },
            geo: {
              map: "hw-command", roam: true, center: Screen.city ? [112, 30] : undefined, zoom: 1.6,
              itemStyle: { areaColor: "#102238", borderColor: "#2c4a6e" }, emphasis: { disabled: true },
            },
          });
          Screen.render(Screen.last || board);
          mapEl.dataset.ready = "1";
        });
    }
    Screen.render(board);
    document.body.dataset.polls = "0";
    setInterval(function () { Screen.poll().then(function () { }); }, (cfg.refreshSeconds || 10) * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) Screen.poll(); });
  };

  var render = Screen.render;
  Screen.render = function (board) { Screen.last = board; render(board); };
  window.CommandScreen = Screen;
})();
