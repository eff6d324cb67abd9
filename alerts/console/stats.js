// 统计: alerts counted by the officers' decisions and the cases' progress, by rule, hall, region or
// person on duty, with CSV/Excel downloads and a weekly trend. Uses console.js's helpers ($, esc,
// api, hallToday, addDays, latestOnly, STALE, registry). Dates are the halls' local dates.
"use strict";

const STATS_COLUMNS = [
  ["alerts", "告警数"], ["confirmed", "认定违规"], ["dismissed", "不予认定"], ["pending_review", "待复核"],
  ["false_alarm_rate", "误报率"], ["dispatched", "已督办"], ["rectified_on_time", "按期整改"],
  ["rectified_late", "逾期整改"], ["overdue", "逾期未整改"], ["late_minutes", "迟到(分)"], ["early_leave_minutes", "早退(分)"],
];
const GROUP_HEADS = {type: "规则", hall: "大厅", region: "区域", person: "值班人员", week: "周"};
const HIGH_FALSE_ALARMS = 0.2;  // a rule whose false-alarm rate is above this is marked

function statsQuery(format, groupBy) {
  const q = new URLSearchParams({start: $("s-start").value, end: $("s-end").value, group_by: groupBy || $("s-group").value, format});
  if ($("s-region").value) q.set("region", $("s-region").value);
  return `/api/stats?${q}`;
}

function statsCells(r) {
  return STATS_COLUMNS.map(([key]) => {
    if (key === "false_alarm_rate") {
      const v = r[key], high = v != null && v > HIGH_FALSE_ALARMS ? " low" : "";
      return `<td class="num${high}">${v == null ? "—" : (v * 100).toFixed(1) + "%"}</td>`;
    }
    const warn = (key === "overdue" || key === "rectified_late") && r[key] ? " low" : "";
    return `<td class="num${warn}">${r[key]}</td>`;
  }).join("");
}

// Weekly trend as an SVG bar chart: alerts raised (grey), confirmed (red), dismissed (blue).
function trendChart(rows) {
  if (!rows.length) return "<p>所选范围内没有告警。</p>";
  const width = Math.max(480, rows.length * 64), height = 200, base = 170, top = 16;
  const max = Math.max(1, ...rows.map((r) => r.alerts));
  const y = (v) => base - (v / max) * (base - top);
  const bars = rows.map((r, i) => {
    const x = 40 + i * 64;
    const bar = (dx, v, cls, label) => `<rect class="${cls}" x="${x + dx}" y="${y(v)}" width="14" height="${base - y(v)}"><title>${label} ${v}</title></rect>`;
    return bar(0, r.alerts, "all", "告警") + bar(16, r.confirmed, "confirmed", "认定") + bar(32, r.dismissed, "dismissed", "不予认定") +
      `<text x="${x + 22}" y="${base + 16}" text-anchor="middle">${esc(r.key.slice(5))}</text>` +
      `<text x="${x + 7}" y="${y(r.alerts) - 3}" text-anchor="middle">${r.alerts}</text>`;
  }).join("");
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="按周告警趋势">
    <line x1="34" y1="${base}" x2="${width}" y2="${base}" class="axis"/>${bars}</svg>
    <p class="legend"><span class="swatch all"></span>告警 <span class="swatch confirmed"></span>认定违规 <span class="swatch dismissed"></span>不予认定（横轴为每周一的日期）</p>`;
}

const statsAnswer = latestOnly();

async function loadStats() {
  $("s-csv").href = statsQuery("csv");
  $("s-xlsx").href = statsQuery("xlsx");
  let data, weeks;
  try { [data, weeks] = await statsAnswer(Promise.all([api(statsQuery("json")), api(statsQuery("json", "week"))])); }
  catch (err) { if (err !== STALE) $("stats-msg").textContent = "查询失败：" + err.message; return; }
  $("stats-msg").textContent = data.rows.length ? "" : "所选范围内没有告警。";
  $("s-head").innerHTML = `<tr><th>${GROUP_HEADS[data.group_by]}</th>${STATS_COLUMNS.map(([, label]) => `<th>${label}</th>`).join("")}</tr>`;
  $("s-rows").innerHTML = data.rows.map((r) => `<tr class="stats-row"><td>${esc(r.name)}</td>${statsCells(r)}</tr>`).join("");
  $("s-total").innerHTML = `<tr><th>${esc(data.total.name)}</th>${statsCells(data.total)}</tr>`;
  $("s-trend").innerHTML = trendChart(weeks.rows);
}

function statsRange(kind) {
  const today = hallToday();
  if (kind === "month") return [today.slice(0, 8) + "01", today];
  if (kind === "last-month") { const end = addDays(today.slice(0, 8) + "01", -1); return [end.slice(0, 8) + "01", end]; }
  if (kind === "quarter") return [addDays(today, -90), today];
  return [addDays(today, -364), today];
}

function setUpStats() {
  [$("s-start").value, $("s-end").value] = statsRange("quarter");
  $("s-region").insertAdjacentHTML("beforeend", registry.regions.map((r) => `<option value="${esc(r.id)}">${esc(r.name)}</option>`).join(""));
  document.querySelectorAll("#stats-form button[data-range]").forEach((b) => b.addEventListener("click", () => {
    [$("s-start").value, $("s-end").value] = statsRange(b.dataset.range);
    $("stats-form").requestSubmit();
  }));
  $("stats-form").addEventListener("submit", (e) => { e.preventDefault(); loadStats(); });
  $("s-group").addEventListener("change", loadStats);
  $("s-print").addEventListener("click", () => window.print());
}

window.loadStats = loadStats;
window.setUpStats = setUpStats;
