// 考勤报表: the daily attendance report per region, hall and window, with CSV/Excel downloads.
// Dates are the halls' local dates.
import {html, render} from "./vendor/lit-html.js";
import {$, api, hallToday, state} from "./session.js";
import {STALE, latestOnly, presetRange} from "./util.js";

const LOW_SHARE = 0.9;  // 到岗率 under this is shown in red

function reportQuery(format) {
  const q = new URLSearchParams({start: $("r-start").value, end: $("r-end").value, format});
  if ($("r-region").value) q.set("region", $("r-region").value);
  return `/api/reports/attendance?${q}`;
}

const minutes = (m) => m == null ? "—" : m.toFixed(1);
const share = (s) => s == null ? "—" : `${(s * 100).toFixed(1)}%`;

function totalsCells(r, columns) {
  const low = r.staffed_share != null && r.staffed_share < LOW_SHARE ? " low" : "";
  return html`<td class="num">${minutes(r.scheduled_min)}</td><td class="num">${minutes(r.observed_min)}</td>
    <td class="num">${minutes(r.staffed_min)}</td><td class=${"num" + low}>${share(r.staffed_share)}</td>
    <td class="num">${minutes(r.late_min)}</td><td class="num">${minutes(r.early_min)}</td>
    <td class="num">${r.absences}${r.absence_min ? `（${minutes(r.absence_min)}分）` : ""}</td>${
    columns.map((c) => html`<td class="num">${r.violations[c.key] || 0}</td>`)}<td class="num pending">${r.pending_review || 0}</td>${
    extras.map((e) => html`<td class=${"num" + (e.low && e.low(r) ? " low" : "")}>${e.cell(r)}</td>`)}`;
}

// One-line headers: short words, the definition in each header's tooltip (minutes unless said).
const HEADS = [
  ["应在岗", "应在岗（分钟）：作息表或排班要求在岗的时间"],
  ["观测", "观测（分钟）：应在岗时间中摄像头在线、看得到岗位的时间"],
  ["在岗", "在岗（分钟）：观测时间内岗位上有人的时间"],
  ["到岗率", "到岗率 = 在岗 ÷（观测 − 登记外出期间的观测）；只计摄像头看得到的时间，低于 90% 标红"],
  ["迟到", "迟到（分钟）：各时段开始到首次到岗；开始时未被看到的时段不计迟到"],
  ["早退", "早退（分钟）：最后离岗到时段结束"],
  ["外出", "登记外出（去向公开）次数，括号内为分钟"],
];
// The halls' own systems (排队叫号、好差评) and the cameras' queue wait: shown when the range has them.
const EXTRAS = [
  {has: "tickets", head: "办件", title: "办件量：叫号系统报告办结的票数", cell: (r) => r.tickets_finished ?? 0},
  {has: "camera", head: "排队等候", title: "平均排队等候（分钟）：摄像头测得，从进入等候区到走到窗口前", cell: (r) => minutes(r.camera_wait_min)},
  {has: "tickets", head: "叫号等候", title: "平均等候（分钟）：取号到叫号，叫号系统的数据", cell: (r) => minutes(r.ticket_wait_min)},
  {has: "tickets", head: "差评", title: "差评数：评分为 1 或 2 的评价", cell: (r) => r.poor_ratings ?? 0, low: (r) => r.poor_ratings > 0},
];
let extras = [];

function extrasOf(data) {
  const rows = [...data.windows, ...data.halls];
  const has = {
    tickets: rows.some((r) => r.tickets_finished || r.ticket_waits || r.poor_ratings),
    camera: rows.some((r) => r.camera_waits),
  };
  return EXTRAS.filter((e) => has[e.has]);
}

function totalsHead(first, columns) {
  return html`<tr>${first.map((h) => html`<th>${h}</th>`)}${HEADS.map(([h, t]) => html`<th class="num" title=${t}>${h}</th>`)}${
    columns.map((c) => html`<th class="num" title=${c.label}>${c.short}</th>`)}<th class="num"
    title="已计入的违规中尚未经纪检复核的次数；复核不予认定的告警不计入本表">待复核</th>${
    extras.map((e) => html`<th class="num" title=${e.title}>${e.head}</th>`)}</tr>`;
}

function periodsText(r) {
  if (r.window_id === null) return "—";  // the hall-level row: violations of no window
  if (!r.scheduled) return "非服务日";  // 排班 is the roster; this is the hall's schedule
  const hm = (iso) => iso ? iso.slice(11, 19) : "—";
  const arrival = (p) => p.arrival ? hm(p.arrival) : p.present_from_start ? "观测开始时已在岗" : "—";
  return r.periods.map((p, i) => html`${i ? html`<br>` : ""}${p.start.slice(11, 16)}-${p.end.slice(11, 16)} 到岗 ${arrival(p)} 离岗 ${hm(p.departure)}`);
}

const reportAnswer = latestOnly();

export async function loadReport() {
  $("r-csv").href = reportQuery("csv");
  $("r-xlsx").href = reportQuery("xlsx");
  let data;
  try { data = await reportAnswer(api(reportQuery("json"))); }
  catch (err) { if (err !== STALE) $("report-msg").textContent = "查询失败：" + err.message; return; }
  $("report-msg").textContent = data.windows.length ? "" : "所选范围内没有窗口。";
  const cols = data.violation_columns;
  extras = extrasOf(data);
  document.querySelectorAll("#tab-report table.report").forEach((t) => t.classList.toggle("compact", extras.length > 0));
  render(totalsHead(["日期", "级别", "区域"], cols), $("r-regions-head"));
  const levels = {city: 0, county: 1, township: 2};
  render(html`${data.regions.sort((a, b) => a.date.localeCompare(b.date) || levels[a.level] - levels[b.level])
    .map((r) => html`<tr><td>${r.date}</td><td>${r.level_name}</td><td>${r.region}</td>${totalsCells(r, cols)}</tr>`)}`, $("r-regions"));
  $("r-range").classList.toggle("hidden", data.days.length < 2);
  render(totalsHead(["时段", "所属区域", "大厅"], cols), $("r-range-head"));
  render(html`${data.range.halls.map((r) => html`<tr><td>${r.date}</td><td>${r.region_path.join(" › ")}</td>
    <td>${r.hall}</td>${totalsCells(r, cols)}</tr>`)}`, $("r-range-halls"));
  render(totalsHead(["日期", "所属区域", "大厅"], cols), $("r-halls-head"));
  render(html`${data.halls.map((r) => html`<tr><td>${r.date}</td><td>${r.region_path.join(" › ")}</td>
    <td>${r.hall}</td>${totalsCells(r, cols)}</tr>`)}`, $("r-halls"));
  render(totalsHead(["日期", "大厅", "窗口", "值班人员", "时段 到岗/离岗"], cols), $("r-windows-head"));
  render(html`${data.windows.map((r) => html`<tr class="report-window"><td>${r.date}</td><td>${r.hall}</td>
    <td>${r.window}</td><td>${r.on_duty.join("、") || "—"}</td><td>${periodsText(r)}</td>${totalsCells(r, cols)}</tr>`)}`, $("r-windows"));
}

export function setUpReport() {
  const today = hallToday();
  $("r-start").value = today;
  $("r-end").value = today;
  document.querySelectorAll("#report-form button[data-range]").forEach((b) => b.addEventListener("click", () => {
    [$("r-start").value, $("r-end").value] = presetRange(b.dataset.range, hallToday());
    $("report-form").requestSubmit();
  }));
  render(html`<option value="">全部区域</option>${state.registry.regions.map((r) => html`<option value=${r.id}>${r.name}</option>`)}`, $("r-region"));
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); loadReport(); });
  for (const id of ["r-start", "r-end", "r-region"]) $(id).addEventListener("change", () => {
    $("r-csv").href = reportQuery("csv"); $("r-xlsx").href = reportQuery("xlsx");
  });
}
