// 交接班: the shift hand-over log. Each note shows what was waiting in the author's subtree when
// it was written.
import {html, render} from "./vendor/lit-html.js";
import {$, api, can, fmt} from "./session.js";

export async function loadShiftNotes() {
  const notes = await api("/api/shift-notes");
  render(notes.length ? html`${notes.map((n) => {
    const s = n.summary || {};
    const since = s.received_since_last_note == null ? "" : `，上次交班以来新增 ${s.received_since_last_note} 条`;
    return html`<li class="shift-note"><b>${fmt(n.at)} · ${n.author_name || n.author}</b>（待确认 ${s.new ?? "—"} 条，待复核 ${s.acknowledged ?? "—"} 条${since}）<br>${n.text}</li>`;
  })}` : html`<li>暂无交接班记录。</li>`, $("shift-notes"));
}

export function setUpShiftNotes() {
  const form = $("shift-form");
  if (!can("write_shift_note")) form.classList.add("hidden");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("/api/shift-notes", {method: "POST", body: JSON.stringify({text: $("shift-text").value})});
      $("shift-text").value = "";
      $("shift-msg").textContent = "已记录";
      loadShiftNotes();
    } catch (err) { $("shift-msg").textContent = "记录失败：" + err.message; }
  });
}
