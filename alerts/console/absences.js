// 去向公开: registered absences, and the form that registers one (times typed in the halls' time).
import {html, render} from "./vendor/lit-html.js";
import {$, api, fmt, hallName, state, windowName, withHallOffset} from "./session.js";

export async function loadAbsences() {
  const rows = await api("/api/absences");
  render(html`${rows.map((r) => html`<tr><td>${hallName(r.hall_id)}</td><td>${windowName(r.hall_id, r.window_id) || r.zone_id}</td>
    <td>${r.person || "—"}</td><td>${fmt(r.start)}</td><td>${fmt(r.end)}</td><td>${r.reason}</td><td>${r.registered_by}</td></tr>`)}`,
  $("absences"));
}

export function setUpAbsences() {
  const {registry} = state;
  render(html`${registry.halls.map((h) => html`<option value=${h.id}>${h.name}</option>`)}`, $("a-hall"));
  const windows = () => {
    const hall = registry.halls.find((h) => h.id === $("a-hall").value);
    render(html`${(hall ? hall.windows : []).map((w) => html`<option value=${w.id}>${w.name || w.id}</option>`)}`, $("a-window"));
  };
  $("a-hall").addEventListener("change", windows);
  windows();
  $("absence").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    // Typed times are the halls' local time, whatever time zone this browser is in.
    const start = withHallOffset(f.get("start")), end = withHallOffset(f.get("end"));
    if (Date.parse(end) <= Date.parse(start)) { $("absence-msg").textContent = "登记失败：结束时间须晚于开始时间"; return; }
    const body = {hall_id: f.get("hall_id"), window_id: f.get("window_id"), person: f.get("person") || null,
      start, end, reason: f.get("reason")};
    try { await api("/api/absences", {method: "POST", body: JSON.stringify(body)}); $("absence-msg").textContent = "已登记"; loadAbsences(); }
    catch (err) { $("absence-msg").textContent = "登记失败：" + err.message; }
  });
}
