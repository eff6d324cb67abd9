// 统计: alerts counted by the officers' decisions and the cases' progress, by rule, hall, region or
// person on duty, with CSV/Excel downloads and a weekly trend. Dates are the halls' local dates.
import {html, render, svg} from "./vendor/lit-html.js";
import {$, api, hallToday, state} from "./session.js";
import {STALE, latestOnly, presetRange} from "./util.js";

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
      return html`<td class=${"num" + high}>${v == null ? "—" : (v * 100).toFixed(1) + "%"}</td>`;
    }
    const warn = (key === "overdue" || key === "rectified_late") && r[key] ? " low" : "";
    return html`<td class=${"num" + warn}>${r[key]}</td>`;
  });
}

// Weekly trend as an SVG bar chart: alerts raised (grey), confirmed (red), dismissed (blue).
function trendChart(rows) {
  if (!rows.length) return html`<p>所选范围内没有告警。</p>`;
  const width = Math.max(480, rows.length * 64), height = 200, base = 170, top = 16;
  const max = Math.max(1, ...rows.map((r) => r.alerts));
  const y = (v) => base - (v / max) * (base - top);
  const bars = rows.map((r, i) => {
    const x = 40 + i * 64;
    const bar = (dx, v, cls, label) => svg`<rect class=${cls} x=${x + dx} y=${y(v)} width="14" height=${base - y(v)}><title>${label} ${v}</title></rect>`;
    return svg`${bar(0, r.alerts, "all", "告警")}${bar(16, r.confirmed, "confirmed", "认定")}${bar(32, r.dismissed, "dismissed", "不予认定")}
      <text x=${x + 22} y=${base + 16} text-anchor="middle">${r.key.slice(5)}</text>
      <text x=${x + 7} y=${y(r.alerts) - 3} text-anchor="middle">${r.alerts}</text>`;
  });
  return html`<svg class="chart" viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label="按周告警趋势">
    <line x1="34" y1=${base} x2=${width} y2=${base} class="axis"/>${bars}</svg>
    <p class="legend"><span class="swatch all"></span>告警 <span class="swatch confirmed"></span>认定违规 <span class="swatch dismissed"></span>不予认定（横轴为每周一的日期）</p>`;
}

const statsAnswer = latestOnly();

export async function loadStats() {
  $("s-csv").href = statsQuery("csv");
  $("s-xlsx").href = statsQuery("xlsx");
  let data, weeks;
  try { [data, weeks] = await statsAnswer(Promise.all([api(statsQuery("json")), api(statsQuery("json", "week"))])); }
  catch (err) { if (err !== STALE) $("stats-msg").textContent = "查询失败：" + err.message; return; }
  $("stats-msg").textContent = data.rows.length ? "" : "所选范围内没有告警。";
  render(html`<tr><th>${GROUP_HEADS[data.group_by]}</th>${STATS_COLUMNS.map(([, label]) => html`<th>${label}</th>`)}</tr>`, $("s-head"));
  render(html`${data.rows.map((r) => html`<tr class="stats-row"><td>${r.name}</td>${statsCells(r)}</tr>`)}`, $("s-rows"));
  render(html`<tr><th>${data.total.name}</th>${statsCells(data.total)}</tr>`, $("s-total"));
  render(trendChart(weeks.rows), $("s-trend"));
}

export function setUpStats() {
  [$("s-start").value, $("s-end").value] = presetRange("quarter", hallToday());
  render(html`<option value="">全部区域</option>${state.registry.regions.map((r) => html`<option value=${r.id}>${r.name}</option>`)}`, $("s-region"));
  document.querySelectorAll("#stats-form button[data-range]").forEach((b) => b.addEventListener("click", () => {
    [$("s-start").value, $("s-end").value] = presetRange(b.dataset.range, hallToday());
    $("stats-form").requestSubmit();
  }));
  $("stats-form").addEventListener("submit", (e) => { e.preventDefault(); loadStats(); });
  $("s-group").addEventListener("change", loadStats);
  $("s-print").addEventListener("click", () => window.print());
}
