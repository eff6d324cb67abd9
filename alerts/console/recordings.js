// 视频回溯: an officer cuts a span of a window's retained recording (stream copy, signed, audited),
// watches it here and downloads it with its manifest. Times are typed in the halls' time.
import {html, render} from "./vendor/lit-html.js";
import {$, api, fmt, hallName, playableUrl, state, windowName, withHallOffset} from "./session.js";

const size = (n) => n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

async function play(r) {
  const detail = await api(`/api/recordings/clips/${encodeURIComponent(r.id)}`);
  const intact = detail.problems && detail.problems.length === 0;
  render(html`<h3>${hallName(r.hall_id)} ${windowName(r.hall_id, r.window_id) || r.camera_id} · ${fmt(r.clip_start)} 起</h3>
    <p class=${intact ? "ok" : "low"}>${intact ? "签名校验通过：录像与调取时一致" : "签名校验未通过：" + (detail.problems || []).join("；")}</p>
    <video controls autoplay muted src=${playableUrl(`/api/recordings/clips/${encodeURIComponent(r.id)}/video`, detail.codec)}></video>`,
  $("rec-player"));
}

async function showRetained() {
  const cameras = await api(`/api/recordings?hall=${encodeURIComponent($("rec-hall").value)}`);
  const windowId = $("rec-window").value;
  const camera = cameras.find((c) => c.windows.includes(windowId));
  const spans = camera ? camera.retained : [];
  $("rec-retained").textContent = !camera ? "该窗口没有摄像头。" : spans.length
    ? `可调取：${spans.slice(-3).map((s) => `${fmt(s.start)} 至 ${fmt(s.end)}`).join("；")}（${camera.name}）`
    : `${camera.name} 暂无保存的录像（仅 H.264 网络摄像头录像）。`;
}

export async function loadRecordings() {
  const rows = await api("/api/recordings/clips");
  render(rows.length ? html`${rows.map((r) => html`<tr class="rec-row"><td>${fmt(r.created_at)}</td><td>${hallName(r.hall_id)}</td>
    <td>${windowName(r.hall_id, r.window_id) || r.camera_id}</td><td>${fmt(r.clip_start)} 至 ${fmt(r.clip_end)}</td>
    <td>${r.reason}</td><td>${r.requested_by}</td><td class="num">${size(r.bytes)}</td>
    <td><button type="button" class="rec-play" @click=${() => play(r)}>播放</button>
      <a class="button" href=${`/api/recordings/clips/${encodeURIComponent(r.id)}/download`} download>下载（含签名）</a></td></tr>`)}`
    : html`<tr><td colspan="8">尚未调取录像。</td></tr>`, $("rec-list"));
  showRetained().catch(() => {});
}

export function setUpRecordings() {
  const {registry} = state;
  render(html`${registry.halls.map((h) => html`<option value=${h.id}>${h.name}</option>`)}`, $("rec-hall"));
  const windows = () => {
    const hall = registry.halls.find((h) => h.id === $("rec-hall").value);
    render(html`${(hall ? hall.windows : []).map((w) => html`<option value=${w.id}>${w.name || w.id}</option>`)}`, $("rec-window"));
    showRetained().catch(() => {});
  };
  $("rec-hall").addEventListener("change", windows);
  $("rec-window").addEventListener("change", () => showRetained().catch(() => {}));
  windows();
  $("rec-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {hall: f.get("hall"), window: f.get("window"), start: withHallOffset(f.get("start")),
      end: withHallOffset(f.get("end")), reason: f.get("reason")};
    $("rec-msg").textContent = "正在调取…";
    try {
      const made = await api("/api/recordings/clips", {method: "POST", body: JSON.stringify(body)});
      $("rec-msg").textContent = `已调取（${size(made.bytes)}），签名留证。`;
      await loadRecordings();
      play(made);
    } catch (err) { $("rec-msg").textContent = "调取失败：" + err.message; }
  });
}
