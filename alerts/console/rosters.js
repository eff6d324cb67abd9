// 排班: who is on duty at each window, a week at a time, for the halls in the user's region.
// Admins add shifts and remove those added here; the config file's shifts are shown read-only.
// Uses console.js's helpers ($, esc, api, hallToday, addDays, latestOnly, me, registry).
"use strict";

const WEEKDAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
let rosterDay = null;
const rosterAnswer = latestOnly();


// "08:30-12:00, 13:30-17:30" -> [{start, end}], or an error in words.
function parsePeriods(text) {
  const parts = text.split(/[,，;；]\s*|\s+(?=\d)/).map((x) => x.trim()).filter(Boolean);
  if (!parts.length) throw new Error("请填写时段，如 08:30-12:00");
  return parts.map((p) => {
    const m = p.match(/^(\d{1,2}):(\d{2})\s*[-–~～至]\s*(\d{1,2}):(\d{2})$/);
    if (!m) throw new Error(`时段“${p}”格式应为 08:30-12:00`);
    const start = `${m[1].padStart(2, "0")}:${m[2]}`, end = `${m[3].padStart(2, "0")}:${m[4]}`;
    if (end <= start) throw new Error(`时段“${p}”的结束时间须晚于开始时间`);
    if (start > "23:59" || end > "24:00" || m[2] > "59" || m[4] > "59") throw new Error(`时段“${p}”不是有效时间`);
    return {start, end};
  });
}

function chip(s, windowName) {
  const periods = s.periods.map((p) => `${p.start}–${p.end}`).join(" ");
  const del = s.source === "console" && can("edit_roster")
    ? `<button type="button" class="del" data-id="${esc(s.id)}" title="删除此排班（${esc(s.person)} · ${esc(windowName)}）">×</button>` : "";
  const who = s.source === "console" ? `控制台添加（${esc(s.created_by || "")}）` : "配置文件";
  return `<span class="chip ${s.source}" title="${esc(s.person)} ${esc(periods)} · ${who}">${del}${esc(s.person)} <small>${esc(periods)}</small></span>`;
}

async function loadRosters() {
  rosterDay = rosterDay || hallToday();
  $("ro-day").value = rosterDay;
  const hall = $("ro-hall").value;
  let data;
  try {
    data = await rosterAnswer(api(`/api/rosters?day=${rosterDay}` + (hall ? `&hall=${encodeURIComponent(hall)}` : "")));
  } catch (err) { if (err !== STALE) $("ro-msg").textContent = "读取排班失败：" + err.message; return; }
  const today = hallToday();
  $("ro-head").innerHTML = `<tr><th>大厅 / 窗口</th>${data.week.map((d, i) =>
    `<th class="${d === today ? "today" : ""}">${WEEKDAY_NAMES[i]} <small>${d.slice(5).replace("-", "/")}</small></th>`).join("")}</tr>`;
  const rows = [];
  for (const h of data.halls) {
    if (data.halls.length > 1) rows.push(`<tr class="hall"><th colspan="8">${esc(h.hall)} <small>${esc(h.region_names.join(" › "))}</small></th></tr>`);
    for (const w of h.windows) {
      rows.push(`<tr><th>${data.halls.length > 1 ? "" : esc(h.hall) + " · "}${esc(w.window)}</th>${w.days.map((shifts, i) =>
        `<td class="${data.week[i] === today ? "today" : ""}">${shifts.map((s) => chip(s, w.window)).join("") || '<span class="none">—</span>'}</td>`).join("")}</tr>`);
    }
  }
  $("ro-body").innerHTML = rows.join("") || `<tr><td colspan="8">区域内没有大厅。</td></tr>`;
}

function setUpRosters() {
  $("ro-hall").innerHTML = registry.halls.map((h) => `<option value="${esc(h.id)}">${esc(h.name)}</option>`).join("") +
    (registry.halls.length > 1 ? `<option value="">全部大厅</option>` : "");
  const windows = () => {
    const hall = registry.halls.find((h) => h.id === $("ro-hall").value);
    $("ro-window").innerHTML = (hall ? hall.windows : []).map((w) => `<option value="${esc(w.id)}">${esc(w.name || w.id)}</option>`).join("");
    $("ro-form").querySelector("button[type=submit]").disabled = !hall;
  };
  $("ro-days").innerHTML = WEEKDAY_CODES.map((code, i) =>
    `<label><input type="checkbox" value="${code}" ${i < 5 ? "checked" : ""}>${WEEKDAY_NAMES[i].slice(1)}</label>`).join("");
  $("ro-hall").addEventListener("change", () => { windows(); loadRosters(); });
  $("ro-day").addEventListener("change", () => { rosterDay = $("ro-day").value || hallToday(); loadRosters(); });
  $("ro-prev").addEventListener("click", () => { rosterDay = addDays(rosterDay || hallToday(), -7); loadRosters(); });
  $("ro-next").addEventListener("click", () => { rosterDay = addDays(rosterDay || hallToday(), 7); loadRosters(); });
  $("ro-today").addEventListener("click", () => { rosterDay = hallToday(); loadRosters(); });
  $("ro-body").addEventListener("click", async (e) => {
    const button = e.target.closest("button.del");
    if (!button || !confirm(button.title + "？")) return;
    try {
      await api(`/api/rosters/${encodeURIComponent(button.dataset.id)}`, {method: "DELETE"});
      $("ro-msg").textContent = "已删除";
      loadRosters();
    } catch (err) { $("ro-msg").textContent = "删除失败：" + err.message; }
  });
  if (!can("edit_roster")) return;
  $("ro-form").classList.remove("hidden");
  windows();
  $("ro-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const msg = $("ro-msg");
    try {
      const date = $("ro-date").value, from = $("ro-from").value, until = $("ro-until").value;
      const days = [...$("ro-days").querySelectorAll("input:checked")].map((x) => x.value);
      if (!date && !days.length) throw new Error("请勾选星期或指定日期");
      if (from && until && until < from) throw new Error("生效截止日期须不早于开始日期");
      const body = {hall: $("ro-hall").value, window: $("ro-window").value, person: $("ro-person").value.trim(),
        periods: parsePeriods($("ro-periods").value), valid_from: from || null, valid_until: until || null};
      if (!body.person) throw new Error("请填写值班人员");
      if (date) body.dates = [date]; else body.days = days;
      await api("/api/rosters", {method: "POST", body: JSON.stringify(body)});
      msg.textContent = `已添加：${body.person}`;
      if (date) rosterDay = date;
      $("ro-person").value = "";
      loadRosters();
    } catch (err) { msg.textContent = "添加失败：" + err.message; }
  });
}

window.loadRosters = loadRosters;
window.setUpRosters = setUpRosters;
