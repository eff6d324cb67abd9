// 叫号评价: a day of the halls' queue tickets and ratings per window, beside the cameras' own queue
// wait, and the day's 差评, each with the clip of its window (its alert's evidence) played here.
import {html, render} from "./vendor/lit-html.js";
import {$, api, fmt, hallToday, playableUrl, state} from "./session.js";
import {STALE, latestOnly} from "./util.js";

const minutes = (v) => v == null ? "—" : v.toFixed(1);
const answer = latestOnly();

function play(r) {
  const url = playableUrl(`/api/alerts/${encodeURIComponent(r.alert_id)}/evidence/open_clip`, r.clip_codec);
  render(html`<h3>差评录像</h3><video controls autoplay muted src=${url}></video>`, $("t-player"));
}

function clipCell(r) {
  if (r.has_clip) return html`<button type="button" class="t-play" @click=${() => play(r)}>播放</button>`;
  return r.alert_id ? html`<span title="录像尚未生成或该时段未录像">暂无录像</span>` : html`<span title="没有摄像头拍摄该窗口">—</span>`;
}

export async function loadTickets() {
  const q = new URLSearchParams({day: $("t-day").value});
  if ($("t-hall").value) q.set("hall", $("t-hall").value);
  let data;
  try { data = await answer(api(`/api/tickets?${q}`)); }
  catch (err) { if (err !== STALE) $("tickets-msg").textContent = "查询失败：" + err.message; return; }
  $("tickets-msg").textContent = data.windows.length ? "" : "当日没有叫号或评价数据（大厅的排队叫号、好差评系统尚未报送）。";
  render(html`${data.windows.map((w) => html`<tr class="ticket-row"><td>${w.hall_name}</td><td>${w.window_name}</td>
    <td class="num">${w.tickets_called}</td><td class="num">${w.tickets_finished}</td><td class="num">${minutes(w.ticket_wait_min)}</td>
    <td class="num">${minutes(w.ticket_wait_p90_min)}</td><td class="num">${minutes(w.camera_wait_min)}</td>
    <td class="num">${w.ratings}</td><td class="num">${w.mean_score == null ? "—" : w.mean_score.toFixed(2)}</td>
    <td class=${"num" + (w.poor_ratings ? " low" : "")}>${w.poor_ratings}</td></tr>`)}`, $("t-windows"));
  render(data.poor.length ? html`${data.poor.map((r) => html`<tr class="poor-row"><td>${fmt(r.at)}</td><td>${r.hall_name}</td>
    <td>${r.window_name || "—"}</td><td>${r.ticket || "—"}</td><td class="num low">${r.score}</td><td>${r.comment || "—"}</td>
    <td>${r.on_duty.length ? r.on_duty.join("、") : r.person || "—"}</td><td>${clipCell(r)}</td></tr>`)}`
    : html`<tr><td colspan="8">当日没有差评。</td></tr>`, $("t-poor"));
  render(html``, $("t-player"));
}

export function setUpTickets() {
  $("t-day").value = hallToday();
  const halls = state.registry.halls.filter((h) => !state.me.hall_id || h.id === state.me.hall_id);
  render(html`${state.me.hall_id ? "" : html`<option value="">全部大厅</option>`}${halls.map((h) => html`<option value=${h.id}>${h.name}</option>`)}`,
    $("t-hall"));
  $("tickets-form").addEventListener("submit", (e) => { e.preventDefault(); loadTickets(); });
}
