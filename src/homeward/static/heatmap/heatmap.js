/* Homeward 用工热图: the ECharts choropleth of origins with flow lines to the city, its filters,
 * the tables beside it (HTMX partials), the day slider and the big screen. No build step.
 * The boundaries are our own GeoJSON (WGS84), registered with echarts.registerMap. */
(function () {
  "use strict";

  var RISK = { low: "低风险", medium: "中风险", high: "高风险" };
  var UNKNOWN = "000000";

  /* The smallest count shown to this reader (the API's rounded_to; 1 = exact figures). */
  var minCell = 1;

  /* A count of row r's column: "<min" where suppressed, "—" where there is no figure. */
  function cell(r, col) {
    if (r && r.suppressed && r.suppressed.indexOf(col) >= 0) return "<" + minCell;
    var v = r ? r[col] : null;
    return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN");
  }

  function fmt(v) {
    return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN");
  }

  var mapPromises = {};
  function loadMap(template, level) {
    if (!mapPromises[level]) {
      mapPromises[level] = fetch(template.replace("LEVEL", level), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (geo) {
          // keep region polygons; the maritime boundary lines carry no region code
          geo.features = geo.features.filter(function (f) { return f.properties && f.properties.code; });
          if (typeof echarts !== "undefined") echarts.registerMap("hw-" + level, geo);
          var names = {};
          geo.features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
          return names;
        });
    }
    return mapPromises[level];
  }

  function codeOf(p) {
    if (p.data && p.data.row) return p.data.row.code;
    if (p.data && p.data.code) return p.data.code;
    if (p.componentType === "geo" || p.seriesType === "map") return p.name || null;
    return null;
  }

  function tooltip(p) {
    var r = p.data && p.data.row;
    if (!r) {
      if (p.seriesType === "lines" && p.data) return p.data.label + " → " + p.data.to + "<br>未返 " + fmt(p.data.value);
      if (p.seriesName === "intentions" && p.data) return p.data.label + "<br>打算返岗 " + fmt(p.data.returning) + " · 需要接送 " + fmt(p.data.transport);
      return p.name ? String(p.name) : "";
    }
    var lines = [
      "<b>" + r.name + "</b> <small>" + r.code + "</small>",
      "未返 " + cell(r, "away") + " · 已返 " + cell(r, "returned"),
      "运营商估计 " + cell(r, "carrier_estimate"),
      (RISK[r.risk] || r.risk) + (r.hotspot ? " · 重点地区" : ""),
    ];
    return lines.join("<br>");
  }

  /* One chart: geo (our boundaries) + a map series (colour = away) + flow lines to the city. */
  function HeatmapChart(el, opts) {
    this.el = el;
    this.opts = opts;
    // the home city from the setup; before it is set up there is no line to draw
    this.city = opts.cityName ? { name: opts.cityName, coord: [opts.cityLon, opts.cityLat] } : null;
    this.level = null;
    this.rows = [];
    this.chart = null;
    if (typeof echarts === "undefined") {  // the map library did not load: the tables still work
      el.textContent = el.dataset.noCharts || "";
      return;
    }
    this.chart = echarts.init(el, opts.dark ? "dark" : null, { renderer: "canvas" });
    var self = this;
    this.chart.on("click", function (p) {
      var code = codeOf(p);
      if (code && self.opts.onSelect) self.opts.onSelect(code, "chart");
    });
    window.addEventListener("resize", function () { self.chart.resize(); });
  }

  /* Rows whose unit has no polygon of its own (districts of 北京/天津/上海/重庆 in the prefecture file)
   * are summed into the polygon that holds them; polygons without a row get an explicit zero. */
  function byFeature(rows, features) {
    var out = {};
    var sums = ["away", "returned", "unknown", "carrier_estimate"];
    rows.forEach(function (r) {
      if (r.code === UNKNOWN) return;
      var code = r.code;
      if (features && !features[code]) {
        var prov = code.slice(0, 2) + "0000", pref = code.slice(0, 4) + "00";
        code = features[prov] ? prov : features[pref] ? pref : code;
      }
      if (code === r.code) { out[code] = Object.assign({}, r); return; }
      var agg = out[code];
      if (!agg) {
        agg = out[code] = { code: code, name: features[code], risk: "low", hotspot: false, lat: r.lat, lon: r.lon };
        sums.forEach(function (k) { agg[k] = 0; });
      }
      sums.forEach(function (k) { agg[k] = (agg[k] || 0) + (r[k] || 0); });
      var rank = { low: 1, medium: 2, high: 3 };
      if ((rank[r.risk] || 1) > (rank[agg.risk] || 1)) agg.risk = r.risk;
    });
    if (features) Object.keys(features).forEach(function (code) {
      if (!out[code]) out[code] = { code: code, name: features[code], away: 0, returned: 0, unknown: 0, carrier_estimate: null, risk: "low", hotspot: false, lat: null, lon: null, empty: true };
    });
    return out;
  }

  HeatmapChart.prototype.render = function (level, rows, selected, features) {
    this.level = level;
    this.rows = rows;
    if (!this.chart) return;
    var data = [];
    var max = 1;
    var units = byFeature(rows, features);
    Object.keys(units).forEach(function (code) {
      var r = units[code];
      var v = r.away === null || r.away === undefined ? 0 : r.away;
      if (v > max) max = v;
      data.push({ name: code, value: v, row: r, selected: code === selected });
    });
    var city = this.city;
    var flowRows = !city ? [] : rows
      .filter(function (r) { return r.lat !== null && r.lat !== undefined && r.code !== UNKNOWN && (r.away || 0) > 0; })
      .sort(function (a, b) { return (b.away || 0) - (a.away || 0); })
      .slice(0, this.opts.flows || 60);
    var flowMax = flowRows.length ? flowRows[0].away : 1;
    var flows = flowRows.map(function (r) {
      return {
        code: r.code, label: r.name, to: city.name, value: r.away,
        coords: [[r.lon, r.lat], city.coord],
        lineStyle: { width: 0.5 + 4 * r.away / flowMax, opacity: 0.15 + 0.45 * r.away / flowMax },
      };
    });
    var dark = !!this.opts.dark;
    // letters home: a bubble per origin county whose workers replied they are coming back (toggled)
    var intentions = (this.showIntentions ? this.intentions || [] : [])
      .filter(function (r) { return r.lon !== null && r.lat !== null; })
      .map(function (r) {
        return { name: r.key, code: r.key, label: r.name, returning: r.returning, transport: r.transport,
                 value: [r.lon, r.lat, r.returning] };
      });
    this.el.dataset.intentionBubbles = String(intentions.length);
    this.chart.setOption({
      backgroundColor: dark ? "#0b1526" : "#ffffff",
      tooltip: { trigger: "item", formatter: tooltip },
      visualMap: {
        type: "continuous", min: 0, max: max, calculable: true, seriesIndex: 0,
        left: 10, bottom: 10, text: ["未返多", "少"],
        textStyle: { color: dark ? "#e4e7ec" : "#344054" },
        inRange: { color: dark ? ["#14304f", "#2f6f9f", "#f5b041", "#ff5a36"] : ["#fff5eb", "#fdbe85", "#fd8d3c", "#d94701", "#8c2d04"] },
      },
      geo: {
        map: "hw-" + level, nameProperty: "code", roam: true, zoom: 1.35, center: [110, 32],
        selectedMode: "single",
        label: { show: false },
        itemStyle: { areaColor: dark ? "#102238" : "#f2f4f7", borderColor: dark ? "#3d5a80" : "#98a2b3", borderWidth: 0.4 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: dark ? "#3d5a80" : "#ffe0b2" } },
        select: { label: { show: false }, itemStyle: { areaColor: "#c8102e", borderColor: "#7a0019", borderWidth: 1 } },
      },
      series: [
        { type: "map", geoIndex: 0, data: data },
        {
          type: "lines", coordinateSystem: "geo", data: flows, silent: true,
          lineStyle: { color: dark ? "#ffd166" : "#c8102e", curveness: 0.25 },
          effect: { show: true, period: 5, trailLength: 0.15, symbolSize: 3, color: dark ? "#fff" : "#c8102e" },
        },
        {
          type: "effectScatter", coordinateSystem: "geo", symbolSize: 12, rippleEffect: { scale: 4 },
          itemStyle: { color: dark ? "#ffd166" : "#c8102e" },
          label: { show: true, position: "right", color: dark ? "#fff" : "#7a0019", fontWeight: "bold", formatter: "{b}" },
          data: city ? [{ name: city.name, value: city.coord }] : [],
        },
        {
          name: "intentions", type: "scatter", coordinateSystem: "geo", data: intentions,
          symbolSize: function (v) { return 6 + 4 * Math.sqrt(v[2]); },
          itemStyle: { color: "#1570ef", opacity: 0.75, borderColor: "#ffffff", borderWidth: 1 },
        },
      ],
    }, { notMerge: true });
  };

  /* The pixel position of a region (by the seat of government coordinates in its row). */
  HeatmapChart.prototype.pixelOf = function (code) {
    var row = this.rows.find(function (r) { return r.code === code; });
    if (!this.chart || !row || row.lat === null || row.lat === undefined) return null;
    return this.chart.convertToPixel({ geoIndex: 0 }, [row.lon, row.lat]);
  };

  /* Non-transparent pixels sampled on the chart's canvas (a drawn map has many). */
  HeatmapChart.prototype.paintedPixels = function () {
    var canvas = this.el.querySelector("canvas");
    if (!canvas) return 0;
    var ctx = canvas.getContext("2d");
    var img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    var n = 0;
    for (var i = 3; i < img.length; i += 4 * 16) if (img[i] > 0) n++;
    return n;
  };

  window.HeatmapChart = HeatmapChart;

  // ------------------------------------------------------------------------------------------ page

  var Page = {};

  function formParams(form, extra) {
    var params = new URLSearchParams(new FormData(form));
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    Array.from(params.keys()).forEach(function (k) { if (params.get(k) === "") params.delete(k); });
    return params;
  }

  function fire(form) {
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function sortTable(th) {
    var table = th.closest("table");
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.sort === "num";
    var asc = th.dataset.dir !== "asc";
    th.parentNode.querySelectorAll("th").forEach(function (h) { delete h.dataset.dir; });
    th.dataset.dir = asc ? "asc" : "desc";
    var body = table.tBodies[0];
    var rows = Array.from(body.rows).filter(function (r) { return r.cells.length > idx; });
    rows.sort(function (a, b) {
      var x = a.cells[idx], y = b.cells[idx];
      var c = numeric
        ? parseFloat(x.dataset.value || x.textContent.replace(/,/g, "")) - parseFloat(y.dataset.value || y.textContent.replace(/,/g, ""))
        : x.textContent.trim().localeCompare(y.textContent.trim(), "zh-CN");
      return asc ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Page.start = function (cfg) {
    var form = document.getElementById("heatmap-filters");
    var el = document.getElementById("heatmap-chart");
    if (!form || !el) return;
    var api = el.dataset.api;
    var boundaries = el.dataset.boundaries;
    var slider = document.getElementById("heatmap-day");
    var label = document.getElementById("heatmap-day-label");
    var days = slider ? slider.dataset.days.split(",") : [];
    var dateInput = form.querySelector("input[name=date]");
    var originInput = form.querySelector("input[name=origin]");
    var levelSelect = form.querySelector("select[name=level]");
    var lastQuery = null;
    var seq = 0;

    Page.chart = new HeatmapChart(el, {
      cityName: el.dataset.cityName, cityLon: parseFloat(el.dataset.cityLon), cityLat: parseFloat(el.dataset.cityLat),
      onSelect: function (code) { Page.select(code); },
    });
    var intentionsData = document.getElementById("heatmap-intentions");
    var intentionsToggle = document.getElementById("heatmap-intentions-toggle");
    Page.chart.intentions = intentionsData ? JSON.parse(intentionsData.textContent) : [];
    if (intentionsToggle) intentionsToggle.addEventListener("change", function () {
      Page.chart.showIntentions = intentionsToggle.checked;
      if (Page.chart.level) Page.chart.render(Page.chart.level, Page.chart.rows, originInput.value, Page.features);
    });

    Page.refreshMap = function () {
      var params = formParams(form);
      var origin = params.get("origin") || "";
      params.delete("origin");
      var level = params.get("level") || "prefecture";
      var query = params.toString();
      if (query === lastQuery) {
        Page.chart.render(level, Page.chart.rows, origin, Page.features);
        return Promise.resolve();
      }
      lastQuery = query;
      var mine = ++seq;
      el.dataset.loading = "1";
      return Promise.all([
        fetch(api + "?" + query, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
        loadMap(boundaries, level),
      ]).then(function (res) {
        if (mine !== seq) return;
        var payload = res[0];
        minCell = payload.rounded_to || 1;
        Page.data = payload;
        Page.features = res[1];
        Page.chart.render(level, payload.rows || [], origin, res[1]);
        el.dataset.loading = "";
        el.dataset.rows = String((payload.rows || []).length);
      });
    };

    /* A click on a region (the chart's handler, the tables' links and the tests all come here). */
    Page.select = function (code) {
      if (!code || code === UNKNOWN) return;
      var level = levelSelect ? levelSelect.value : "prefecture";
      if (level === "prefecture" && code.slice(2) === "0000") {
        // a province-level unit drawn as one polygon (直辖市): fine, list its counties
      }
      originInput.value = code;
      fire(form);
    };
    Page.clear = function () { originInput.value = ""; fire(form); };

    form.addEventListener("change", function (ev) {
      if (ev.target === levelSelect) originInput.value = "";
      Page.refreshMap();
    });
    if (slider) {
      slider.addEventListener("input", function () { label.textContent = days[+slider.value]; });
      slider.addEventListener("change", function () {
        var idx = +slider.value;
        dateInput.value = idx >= days.length - 1 ? "" : days[idx];
        label.textContent = days[idx];
        fire(form);
      });
      label.textContent = days[+slider.value];
    }
    var play = document.getElementById("heatmap-play");
    if (play && slider) {
      play.addEventListener("click", function () {
        var idx = 0;
        var step = Math.max(1, Math.round(days.length / 25));
        var timer = setInterval(function () {
          slider.value = String(Math.min(idx, days.length - 1));
          slider.dispatchEvent(new Event("change"));
          if (idx >= days.length - 1) clearInterval(timer);
          idx += step;
        }, 900);
      });
    }
    var clear = document.getElementById("heatmap-clear");
    if (clear) clear.addEventListener("click", Page.clear);

    var tables = document.getElementById("heatmap-tables");
    tables.addEventListener("click", function (ev) {
      var a = ev.target.closest("a.hm-select");
      if (a) { ev.preventDefault(); Page.select(a.dataset.code); return; }
      var e = ev.target.closest("a.hm-enterprise");
      if (e) {
        ev.preventDefault();
        var sel = form.querySelector("select[name=enterprise]");
        if (!Array.from(sel.options).some(function (o) { return o.value === e.dataset.enterprise; })) {
          sel.add(new Option(e.textContent, e.dataset.enterprise));
        }
        sel.value = e.dataset.enterprise;
        fire(form);
        return;
      }
      var th = ev.target.closest("table.hm-sortable th");
      if (th) sortTable(th);
    });
    tables.addEventListener("input", function (ev) {
      var input = ev.target.closest("input.hm-filter");
      if (!input) return;
      var term = input.value.trim().toLowerCase();
      var table = document.getElementById(input.dataset.table);
      Array.from(table.tBodies[0].rows).forEach(function (r) {
        r.hidden = term !== "" && r.textContent.toLowerCase().indexOf(term) < 0;
      });
    });

    document.querySelectorAll("[data-export]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var kind = a.dataset.export;
        var params = formParams(form);
        if (kind === "geojson") {
          params.delete("origin");
          var level = params.get("level") || "prefecture";
          params.delete("level");
          params.set("download", "true");
          window.location.href = cfg.geojsonUrl.replace("LEVEL", level) + "?" + params.toString();
        } else {
          params.set("table", kind);
          window.location.href = cfg.exportUrl + "?" + params.toString();
        }
      });
    });

    // a finished rebuild shows the new snapshot
    document.body.addEventListener("htmx:afterSwap", function (ev) {
      var t = ev.detail && ev.detail.target;
      if (t && t.id === "heatmap-status" || (ev.target && ev.target.id === "heatmap-status")) {
        var box = document.getElementById("heatmap-status");
        if (box && box.dataset.state === "done" && Page.wasActive) window.location.reload();
        Page.wasActive = box && (box.dataset.state === "queued" || box.dataset.state === "running");
      }
    });
    var status = document.getElementById("heatmap-status");
    Page.wasActive = status && (status.dataset.state === "queued" || status.dataset.state === "running");

    Page.ready = Page.refreshMap();
  };

  window.HeatmapPage = Page;

  // ------------------------------------------------------------------------------------ big screen

  var Screen = {};
  Screen.start = function (cfg) {
    var el = document.getElementById("screen-map");
    var chart = new HeatmapChart(el, {
      dark: true, flows: 40,
      cityName: el.dataset.cityName, cityLon: parseFloat(el.dataset.cityLon), cityLat: parseFloat(el.dataset.cityLat),
    });
    Screen.chart = chart;
    function set(id, v) { var n = document.getElementById(id); if (n) n.textContent = v; }
    function refresh() {
      return Promise.all([
        fetch(cfg.api + "?level=prefecture", { credentials: "same-origin" }).then(function (r) { return r.json(); }),
        fetch(cfg.hotspots, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
        loadMap(cfg.boundaries, "prefecture"),
      ]).then(function (res) {
        var rows = res[0].rows || [];
        minCell = res[0].rounded_to || 1;
        var away = 0, back = 0;
        rows.forEach(function (r) { away += r.away || 0; back += r.returned || 0; });
        set("screen-away", fmt(away));
        set("screen-returned", fmt(back));
        set("screen-share", away + back ? Math.round(100 * back / (away + back)) + "%" : "—");
        set("screen-hotspots", String((res[1].rows || []).length));
        set("screen-asof", res[0].date);
        set("screen-clock", new Date().toLocaleTimeString("zh-CN"));
        var list = document.getElementById("screen-hotlist");
        list.innerHTML = "";
        (res[1].rows || []).slice(0, 10).forEach(function (h) {
          var li = document.createElement("li");
          li.innerHTML = "<span class='n'></span><span class='v'></span><small></small>";
          li.children[0].textContent = h.rank + ". " + h.name;
          li.children[1].textContent = fmt(h.away);
          li.children[2].textContent = h.station ? "最近车站 " + h.station + (h.station_km !== null ? " · " + h.station_km + " 公里" : "") : "";
          list.appendChild(li);
        });
        chart.render("prefecture", rows, null, res[2]);
        el.dataset.rows = String(rows.length);
      });
    }
    Screen.ready = refresh();
    setInterval(refresh, (cfg.refreshSeconds || 60) * 1000);
  };
  window.HeatmapScreen = Screen;
})();
