// 排班: who is on duty at each window, a week at a time, for the halls in the user's region.
// Admins add shifts and remove those added here; the config file's shifts are shown read-only.
import {html, nothing, render} from "./vendor/lit-html.js";
import {$, api, can, hallToday, state} from "./session.js";
import {STALE, addDays, latestOnly, parsePeriods} from "./util.js";

const WEEKDAY_CODES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
let rosterDay = null;
const rosterAnswer = latestOnly();

async function remove(button) {
  if (!confirm(button.title + "？")) return;
  try {
    await api(`/api/rosters/${encodeURIComponent(button.dataset.id)}`, {method: "DELETE"});
    $("ro-msg").textContent = "已删除";
    loadRosters();
  } catch (err) { $("ro-msg").textContent = "删除失败：" + err.message; }
}

function chip(s, windowName) {
  const periods = s.periods.map((p) => `${p.start}–${p.end}`).join(" ");
  const del = s.source === "console" && can("edit_roster")
    ? html`<button type="button" class="del" data-id=${s.id} title=${`删除此排班（${s.person} · ${windowName}）`}
        @click=${(e) => remove(e.currentTarget)}>×</button>` : nothing;
  const who = s.source === "console" ? `控制台添加（${s.created_by || ""}）` : "配置文件";
  return html`<span class="chip ${s.source}" title=${`${s.person} ${periods} · ${who}`}>${del}${s.person} <small>${periods}</small></span>`;
}

export async function loadRosters() {
  rosterDay = rosterDay || hallToday();
  $("ro-day").value = rosterDay;
  const hall = $("ro-hall").value;
  let data;
  try {
    data = await rosterAnswer(api(`/api/rosters?day=${rosterDay}` + (hall ? `&hall=${encodeURIComponent(hall)}` : "")));
  } catch (err) { if (err !== STALE) $("ro-msg").textContent = "读取排班失败：" + err.message; return; }
  const today = hallToday();
  render(html`<tr><th>大厅 / 窗口</th>${data.week.map((d, i) =>
    html`<th class=${d === today ? "today" : ""}>${WEEKDAY_NAMES[i]} <small>${d.slice(5).replace("-", "/")}</small></th>`)}</tr>`, $("ro-head"));
  const rows = [];
  let clashes = 0;
  for (const h of data.halls) {
    if (data.halls.length > 1) rows.push(html`<tr class="hall"><th colspan="8">${h.hall} <small>${h.region_names.join(" › ")}</small></th></tr>`);
    for (const w of h.windows) {
      rows.push(html`<tr><th>${data.halls.length > 1 ? "" : h.hall + " · "}${w.window}</th>${w.days.map((shifts, i) => {
        const classes = [data.week[i] === today ? "today" : "", w.closed[i] ? "closed" : "", w.conflicts[i].length ? "conflict" : ""];
        return html`<td class=${classes.filter(Boolean).join(" ")}>${shifts.length ? shifts.map((s) => chip(s, w.window))
          : html`<span class="none">${w.closed[i] ? "休息日" : "—"}</span>`}${w.conflicts[i].map((c) =>
          html`<small class="clash" title="同一窗口同一时间排了两人">⚠ ${c}</small>`)}</td>`;
      })}</tr>`);
      clashes += w.conflicts.reduce((n, c) => n + c.length, 0);
    }
  }
  render(rows.length ? rows : html`<tr><td colspan="8">区域内没有大厅。</td></tr>`, $("ro-body"));
  $("ro-warn").textContent = clashes ? `注意：本周有 ${clashes} 处同一窗口同一时间排了两人（红框）` : "";
}

export function setUpRosters() {
  const {registry} = state;
  render(html`${registry.halls.map((h) => html`<option value=${h.id}>${h.name}</option>`)}${
    registry.halls.length > 1 ? html`<option value="">全部大厅</option>` : nothing}`, $("ro-hall"));
  const windows = () => {
    const hall = registry.halls.find((h) => h.id === $("ro-hall").value);
    render(html`${(hall ? hall.windows : []).map((w) => html`<option value=${w.id}>${w.name || w.id}</option>`)}`, $("ro-window"));
    $("ro-form").querySelector("button[type=submit]").disabled = !hall;
  };
  render(html`${WEEKDAY_CODES.map((code, i) =>
    html`<label><input type="checkbox" value=${code} ?checked=${i < 5}>${WEEKDAY_NAMES[i].slice(1)}</label>`)}`, $("ro-days"));
  $("ro-hall").addEventListener("change", () => { windows(); loadRosters(); });
  $("ro-day").addEventListener("change", () => { rosterDay = $("ro-day").value || hallToday(); loadRosters(); });
  $("ro-prev").addEventListener("click", () => { rosterDay = addDays(rosterDay || hallToday(), -7); loadRosters(); });
  $("ro-next").addEventListener("click", () => { rosterDay = addDays(rosterDay || hallToday(), 7); loadRosters(); });
  $("ro-today").addEventListener("click", () => { rosterDay = hallToday(); loadRosters(); });
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
