// An alert's detail: the facts, the evidence (snapshot with its zone, the raw clip with the overlay
// data drawn over it), the case (督办), the timeline of the audit trail, and the next step of the
// lifecycle this user may take. Escaped by construction (lit-html templates).
import {html, nothing, render, svg} from "./vendor/lit-html.js";
import {attachOverlay} from "./overlay.js";
import {$, api, can, fmt, localInDays, playableUrl, reasonName, regionName, typeName, withHallOffset} from "./session.js";
import {dur} from "./util.js";

export const LIFECYCLE = {new: "待确认", acknowledged: "已确认", reviewed: "已复核", dispatched: "已督办", rectified: "已反馈", closed: "已办结"};
const ACTIONS = {violation_open: "违规开始", violation_closed: "违规结束", acknowledge: "值班员确认", review: "纪检复核",
  dispatch: "督办", rectify: "整改反馈", return: "退回重办", close: "办结", escalate: "超时升级", overdue_escalate: "督办逾期升级",
  evidence_view: "查看证据", export: "导出案卷", case_sheet: "打印督办单", login: "登录",
  ticket_called_at_empty_post: "叫号无人", poor_rating: "差评"};
const EMPTY = html`<p>选择左侧告警查看详情。</p>`;

let current = null;
export const selected = () => current;

export function clearDetail() {
  current = null;
  render(EMPTY, $("detail"));
  document.querySelectorAll("tr.alert-row.selected").forEach((tr) => tr.classList.remove("selected"));
}

// Who did it, by the name people read (the server resolves login names; 识别系统 for the pipeline).
const actorName = (e) => e.actor === "pipeline" ? "识别系统" : (e.actor_name || e.actor);

// The audit trail as a timeline: evidence views are folded into one line (the audit keeps each).
function timeline(audit) {
  const views = audit.filter((e) => e.action === "evidence_view");
  // The violation's own times (the camera's clock) first, with when the service received it: they
  // differ whenever the pipeline lags, and a decision must never look older than its event.
  const own = {violation_open: "started_at", violation_closed: "ended_at"};
  const lines = audit.filter((e) => e.action !== "evidence_view").map((e) => own[e.action] && e.details[own[e.action]]
    ? html`<li class="event-time">${fmt(e.details[own[e.action]])} · ${ACTIONS[e.action]} · ${actorName(e)}（服务收到 ${fmt(e.at)}）</li>`
    : html`<li>${fmt(e.at)} · ${ACTIONS[e.action] || e.action} · ${actorName(e)}
      ${e.action === "poor_rating" ? `：评分 ${e.details.score}${e.details.comment ? "，“" + e.details.comment + "”" : ""}${e.details.ticket ? "（" + e.details.ticket + " 号）" : ""}`
        : e.details.ticket ? `：${e.details.ticket} 号被叫到此窗口时无人在岗` : ""}${e.details.note ? "：" + e.details.note : ""}${e.details.requirement ? "：" + e.details.requirement : ""}${
      e.details.due_at ? `（时限 ${fmt(e.details.due_at)}）` : ""}${e.details.to_region ? " → " + regionName(e.details.to_region) : ""}</li>`);
  if (views.length) {
    const last = views[views.length - 1], who = new Set(views.map((e) => e.actor));
    lines.push(html`<li class="folded">查看证据 ${views.length} 次（${who.size} 人，最近 ${fmt(last.at)} · ${actorName(last)}）</li>`);
  }
  return lines;
}

// 督办单 as the hall sees it: the requirement, the deadline, the reply, the closing opinion.
function caseSection(a) {
  const c = a.case;
  if (!c) return nothing;
  const line = (label, value) => html`<tr><th>${label}</th><td>${value}</td></tr>`;
  return html`<table class="case"><caption>督办情况</caption>
    ${line("整改要求", c.requirement)}
    ${line("整改时限", html`${fmt(c.due_at)}${c.returns ? `（已退回 ${c.returns} 次）` : ""}${c.overdue ? html` <span class="badge overdue">逾期</span>` : nothing}`)}
    ${line("督办", fmt(c.first_dispatched_at))}
    ${line("整改反馈", c.rectification ? `${c.rectification}（${fmt(c.rectified_at)}${c.rectified_late ? "，逾期反馈" : ""}）` : "尚未反馈")}
    ${c.closed_at ? line("办结意见", `${c.closing_note || "同意办结"}（${fmt(c.closed_at)}）`) : nothing}</table>`;
}

// The next step of the alert's lifecycle this user may take: 确认, 复核, 督办, 整改反馈, 退回/办结.
function caseActions(a) {
  const out = [];
  if (a.lifecycle === "new" && can("acknowledge"))
    out.push(html`<textarea id="ack-note" placeholder="处置说明（可选）"></textarea> <button class="primary" id="ack" @click=${() => act(a, "ack", {note: $("ack-note").value || null})}>确认告警</button>`);
  if (a.lifecycle === "acknowledged" && can("review"))
    out.push(html`<textarea id="review-note" placeholder="复核意见（必填）"></textarea>
      <button class="primary" id="confirm" @click=${() => review(a, "confirmed")}>认定违规</button>
      <button id="dismiss" @click=${() => review(a, "dismissed")}>不予认定</button>`);
  if (a.lifecycle === "reviewed" && a.review_outcome === "confirmed" && can("dispatch"))
    out.push(html`<h3>督办</h3><textarea id="dispatch-requirement" placeholder="整改要求（必填）" maxlength="2000"></textarea>
      <label>整改时限 <input id="dispatch-due" type="datetime-local" .value=${localInDays(3)}></label>
      <button class="primary" id="dispatch" @click=${() => dispatch(a)}>下发督办单</button>`);
  if (a.lifecycle === "reviewed" && a.review_outcome === "dismissed" && can("close"))
    out.push(html`<textarea id="close-note" placeholder="办结意见（可选）"></textarea> <button id="close" @click=${() => close(a)}>办结</button>`);
  if (a.lifecycle === "dispatched" && can("rectify"))
    out.push(html`<h3>整改反馈</h3><textarea id="rectify-note" placeholder="整改情况（必填）" maxlength="2000"></textarea>
      <button class="primary" id="rectify" @click=${() => rectify(a)}>提交整改反馈</button>`);
  if (a.lifecycle === "rectified" && can("close"))
    out.push(html`<h3>审核整改反馈</h3><textarea id="close-note" placeholder="办结意见（可选）"></textarea>
      <button class="primary" id="close" @click=${() => close(a)}>办结</button><br>
      <textarea id="return-note" placeholder="退回意见（退回时必填）"></textarea>
      <label>新的整改时限 <input id="return-due" type="datetime-local" .value=${localInDays(3)}></label>
      <button id="return" @click=${() => sendBack(a)}>退回重办</button>`);
  const id = encodeURIComponent(a.event_id);
  const links = [];
  if (can("export")) links.push(html`<a href=${`/api/alerts/${id}/export`} download id="export"><button>导出案卷 (ZIP)</button></a> `);
  if (can("case_sheet") && (a.case || !userHall()))
    links.push(html`<a href=${`/api/alerts/${id}/case-sheet`} download id="case-sheet"><button>打印督办单 (PDF)</button></a>`);
  if (links.length) out.push(links);
  return out;
}
let userHall = () => null;  // set by setUpDetail: the user's hall (a hall manager's), else null

// How much a violation rests on the detector: a discipline officer weighs a borderline case by it.
function detectionText(d) {
  if (!d) return nothing;
  return html`<span class="detection" title="检测依据：违规持续期间分析的帧数、涉及人员被实际检出（而非跟踪推算）的比例、平均检测置信度">检测依据：${d.frames} 帧${
    d.detected_share != null ? `，实际检出 ${Math.round(d.detected_share * 100)}%` : ""}${
    d.mean_score != null ? `，平均置信度 ${d.mean_score.toFixed(2)}` : ""}${
    d.detected_share != null && d.detected_share < 0.8 ? html` <b class="warn">（检出不足，请人工核实）</b>` : nothing}</span><br>`;
}

function zoneOverlay(polygon, image) {
  if (!polygon) return;
  const box = svg`<polygon points=${polygon.map((p) => p.join(",")).join(" ")} fill="rgba(229,57,53,0.15)" stroke="#e53935" stroke-width="4"/>`;
  const holder = document.createElement("span");
  render(html`<svg viewBox=${`0 0 ${image.naturalWidth || 768} ${image.naturalHeight || 576}`} preserveAspectRatio="none">${box}</svg>`, holder);
  image.after(holder.firstElementChild);
}

export async function showDetail(id) {
  // The same alert drawn again (an update arrived): what the user was typing stays.
  const typed = current === id ? Object.fromEntries([...document.querySelectorAll("#actions textarea, #actions input")]
    .filter((e) => e.id && e.value).map((e) => [e.id, e.value])) : {};
  current = id;
  document.querySelectorAll("tr.alert-row").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
  const a = await api(`/api/alerts/${encodeURIComponent(id)}`);
  if (current !== id) return;  // another alert was chosen meanwhile
  const ev = a.evidence || {};
  const file = (name) => `/api/alerts/${encodeURIComponent(id)}/evidence/${encodeURIComponent(name)}`;
  const clip = (name) => playableUrl(file(name), (a.clip_codecs || {})[name]);  // H.265: H.264 where the browser cannot
  const integrity = {ok: html`<span class="ok">✔ 证据完整性校验通过</span>`,
    failed: html`<span class="failed">✘ 证据校验失败：${a.integrity_problems.join("；")}</span>`, none: "证据生成中或无证据"}[a.integrity];
  const actions = caseActions(a);
  const detail = $("detail");
  render(html`<h2>${typeName(a.type)} · ${reasonName(a.reason)}</h2>
    <p>${a.hall_name} ${a.window_id ? "· " + (a.window_name || a.window_id) : ""}${a.on_duty && a.on_duty.length ? `（值班人员：${a.on_duty.join("、")}）` : ""} · 摄像头 ${a.camera_name || a.camera_id} · 画面区域 ${a.zone_name || a.zone_id}<br>
    ${(a.region_names || []).join(" › ")}<br>
    ${fmt(a.started_at)} — ${a.ended_at ? fmt(a.ended_at) : "进行中"}（${dur(a.duration_s)}），峰值人数 ${a.people}
    ${a.min_distance_m != null ? "，最小间距 " + a.min_distance_m.toFixed(2) + " 米" : ""}<br>
    ${detectionText(a.detection)}
    状态：<span class="badge ${a.lifecycle}">${LIFECYCLE[a.lifecycle]}</span> ${a.review_outcome ? `（${a.review_outcome === "confirmed" ? "认定违规" : "不予认定"}）` : ""}
    ${a.overdue ? html` <span class="badge overdue">逾期未整改</span>` : nothing}
    ${a.escalated_to ? " · 已升级至 " + regionName(a.escalated_to) : ""}</p>
    ${caseSection(a)}
    <p>${integrity}</p>
    ${ev.snapshot ? html`<div class="media"><img id="snap" alt="告警快照" src=${file("snapshot_raw")}></div>` : nothing}
    ${ev.open_clip ? html`<h3>视频证据 <label class="toggle"><input type="checkbox" id="overlay-on" checked> 显示识别标注</label></h3>
      <div class="media player"><video id="clip" controls muted preload="auto" src=${clip("open_clip")}></video><canvas id="clip-overlay"></canvas></div>` : nothing}
    ${ev.close_clip ? html`<h3>结束时段视频</h3><div class="media player"><video id="close-clip" controls muted preload="metadata" src=${clip("close_clip")}></video><canvas id="close-overlay"></canvas></div>` : nothing}
    ${ev.open_clip ? html`<p class="legend"><span class="swatch red"></span>违规涉及人员 <span class="swatch green"></span>其他人员
      <span class="swatch zone"></span>规则区域（#编号为跟踪编号，红线标出间距不足 1 米的两人；视频为摄像机原始画面，标注为识别数据，导出案卷时另附标注视频）</p>` : nothing}
    <h3>事件时间线</h3><ul class="timeline">${timeline(a.audit)}</ul>
    <div id="actions">${actions.map((part, i) => html`${i ? html`<hr>` : nothing}${part}`)}</div><p id="action-msg" class="error"></p>`, detail);
  for (const [field, value] of Object.entries(typed)) if ($(field)) $(field).value = value;
  if (ev.open_clip && ev.open_overlay) attachOverlay($("clip"), $("clip-overlay"), file("open_overlay"), $("overlay-on"));
  if (ev.close_clip && ev.close_overlay) attachOverlay($("close-clip"), $("close-overlay"), file("close_overlay"), $("overlay-on"));
  const snap = $("snap");
  if (snap) {
    detail.querySelectorAll(".media > svg").forEach((x) => x.remove());
    const draw = () => zoneOverlay(a.zone_polygon, snap);
    snap.complete && snap.naturalWidth ? draw() : snap.addEventListener("load", draw, {once: true});
  }
}

// The steps: each sends its request once (a second click while it is on its way does nothing),
// then the list and the detail are read again.
let busy = false;
const say = (text) => { $("action-msg").textContent = text; };
const need = (field, message) => { const v = $(field).value.trim(); if (!v) say(message); return v; };
const due = (field) => $(field).value ? withHallOffset($(field).value) : null;

async function act(a, path, body) {
  if (busy) return;
  busy = true;
  try {
    await api(`/api/alerts/${encodeURIComponent(a.event_id)}/${path}`, {method: "POST", body: JSON.stringify(body)});
    document.querySelectorAll("#actions textarea, #actions input").forEach((e) => { e.value = ""; });  // done: fresh fields
    document.dispatchEvent(new CustomEvent("alerts-changed"));
    await showDetail(a.event_id);
    $("detail").scrollTop = 0;  // the new status is at the top of the detail
  } catch (e) { say(e.message); } finally { busy = false; }
}

function review(a, outcome) {
  const note = need("review-note", "复核意见必填");
  if (note) act(a, "review", {outcome, note});
}

function dispatch(a) {
  const requirement = need("dispatch-requirement", "整改要求必填"), due_at = due("dispatch-due");
  if (!requirement) return;
  if (!due_at) { say("整改时限必填"); return; }
  act(a, "dispatch", {requirement, due_at});
}

function rectify(a) {
  const note = need("rectify-note", "整改情况必填");
  if (note) act(a, "rectify", {note});
}

function sendBack(a) {
  const note = need("return-note", "退回意见必填"), due_at = due("return-due");
  if (!note) return;
  if (!due_at) { say("新的整改时限必填"); return; }
  act(a, "return", {note, due_at});
}

const close = (a) => act(a, "close", {note: $("close-note")?.value.trim() || null});

export function setUpDetail(hallOfUser) {
  userHall = () => hallOfUser;
  render(EMPTY, $("detail"));
}
