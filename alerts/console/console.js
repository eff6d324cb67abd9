// The supervision-centre console: live alerts (server-sent events), detail and evidence review,
// camera health and coverage, absence registration. Plain JS: no build step, no CDN.
"use strict";

// Violation types and reasons come from the API (/api/labels): one list for the whole system.
let TYPES = {}, REASONS = {}, ZONE_LABELS = {};
const LIFECYCLE = {new: "待确认", acknowledged: "已确认", reviewed: "已复核", dispatched: "已督办", rectified: "已反馈", closed: "已办结"};
const ACTIONS = {violation_open: "违规开始", violation_closed: "违规结束", acknowledge: "值班员确认", review: "纪检复核",
  dispatch: "督办", rectify: "整改反馈", return: "退回重办", close: "办结", escalate: "超时升级", overdue_escalate: "督办逾期升级",
  evidence_view: "查看证据", export: "导出案卷", case_sheet: "打印督办单", login: "登录"};
// What this user may do: the server's permission table, from /api/me (never a copy of it here).
const can = (action) => !!me && me.can.includes(action);
let me = null, registry = {regions: [], halls: []}, selected = null;
const alerts = new Map();

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
// Times in the halls' time zone, whatever the operator's machine says.
const fmt = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false, timeZone: me?.timezone}) : "—";
// Today's date in the halls' time zone, as YYYY-MM-DD (date inputs and report ranges).
const hallToday = () => new Intl.DateTimeFormat("en-CA", {timeZone: me.timezone, year: "numeric", month: "2-digit",
  day: "2-digit"}).format(new Date());
// A YYYY-MM-DD date n days later (earlier for n < 0), calendar arithmetic only.
const addDays = (iso, n) => new Date(Date.parse(iso + "T00:00:00Z") + n * 86400000).toISOString().slice(0, 10);
// For views refreshed by quick clicks (another week, another range): wraps each request so that
// only the answer to the latest one is used; earlier ones reject with STALE, to be ignored.
const STALE = Symbol("stale");
function latestOnly() {
  let latest = 0;
  return (request) => {
    const mine = ++latest;
    return request.then((value) => { if (mine !== latest) throw STALE; return value; },
      (error) => { throw mine === latest ? error : STALE; });
  };
}
const dur = (s) => s >= 60 ? `${Math.floor(s / 60)}分${Math.round(s % 60)}秒` : `${Math.round(s)}秒`;
// How much a violation rests on the detector: a discipline officer weighs a borderline case by it.
const detectionText = (d) => !d ? "" : `<span class="detection" title="检测依据：违规持续期间分析的帧数、涉及人员被实际检出（而非跟踪推算）的比例、平均检测置信度">检测依据：${d.frames} 帧` +
  (d.detected_share != null ? `，实际检出 ${Math.round(d.detected_share * 100)}%` : "") +
  (d.mean_score != null ? `，平均置信度 ${d.mean_score.toFixed(2)}` : "") +
  (d.detected_share != null && d.detected_share < 0.8 ? ` <b class="warn">（检出不足，请人工核实）</b>` : "") + "</span><br>";
const windowName = (hallId, windowId) => {
  const hall = registry.halls.find((h) => h.id === hallId);
  const w = hall && hall.windows.find((x) => x.id === windowId);
  return w ? (w.name || w.id) : windowId;
};
// "2026-03-02T10:00" typed in a form -> ISO 8601 with the halls' UTC offset at that moment.
function withHallOffset(local) {
  const guess = new Date(local + ":00Z");
  const parts = new Intl.DateTimeFormat("en-US", {timeZone: me.timezone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(guess);
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  const minutes = Math.round((Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - guess.getTime()) / 60000);
  const abs = Math.abs(minutes), pad = (n) => String(n).padStart(2, "0");
  return `${local}:00${minutes >= 0 ? "+" : "-"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
const hallName = (id) => (registry.halls.find((h) => h.id === id) || {name: id}).name;
const regionName = (id) => (registry.regions.find((r) => r.id === id) || {name: id}).name;

async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json", "X-CSRF-Token": me ? me.csrf : "", ...(options.headers || {})};
  const r = await fetch(path, {...options, headers});
  if (r.status === 401) { location.href = "/login"; throw new Error("login"); }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("；") : body.detail;
    throw new Error(detail || r.statusText);
  }
  return r.headers.get("content-type")?.includes("json") ? r.json() : r;
}

// A page of a list with the total the server counted (X-Total-Count).
async function apiPage(path) {
  const r = await fetch(path, {headers: {"X-CSRF-Token": me ? me.csrf : ""}});
  if (r.status === 401) { location.href = "/login"; throw new Error("login"); }
  if (!r.ok) throw new Error(r.statusText);
  return {items: await r.json(), total: Number(r.headers.get("X-Total-Count") || 0)};
}

function row(a, fresh, group) {
  const tr = document.createElement("tr");
  tr.className = "alert-row" + (fresh ? " fresh" : "") + (selected === a.event_id ? " selected" : "") +
    (group && group.member ? " repeat" + (openGroups.has(group.key) ? "" : " hidden") : "");
  tr.dataset.id = a.event_id;
  if (group) tr.dataset.group = group.key;
  const pick = a.lifecycle === "new" && can("acknowledge")
    ? `<input type="checkbox" class="pick" data-id="${esc(a.event_id)}" title="选中以批量确认">` : "";
  const thumb = a.evidence.snapshot ? `<img class="thumb" alt="快照" src="/api/alerts/${encodeURIComponent(a.event_id)}/evidence/snapshot">` : `<span class="thumb"></span>`;
  const window_ = a.window_id ? ` / ${esc(a.window_name || a.window_id)}` : "";
  const duty = a.on_duty && a.on_duty.length ? `<br><small>值班：${a.on_duty.map(esc).join("、")}</small>` : "";
  tr.innerHTML = `<td>${pick}${thumb}</td><td>${esc(TYPES[a.type] || a.type)}<br><small>${esc(REASONS[a.reason] || "")}</small></td>
    <td>${esc(a.hall_name)}${window_}${duty}</td><td>${(a.region_names || a.region_path.map(regionName)).map(esc).join(" › ")}</td>
    <td>${fmt(a.started_at)}</td><td>${dur(a.duration_s)}${a.event_status === "open" ? " …" : ""}</td>
    <td><span class="badge ${a.lifecycle}">${LIFECYCLE[a.lifecycle]}</span>${a.overdue ? ` <span class="badge overdue">逾期</span>` : ""}${a.escalations ? " ⬆" : ""}
    ${group && group.size > 1 ? `<button class="repeat-toggle" type="button" title="同一窗口、同一原因的重复告警：点击展开或收起">×${group.size} ${openGroups.has(group.key) ? "收起" : "展开"}</button>` : ""}</td>`;
  tr.addEventListener("click", (e) => {
    if (e.target.classList.contains("repeat-toggle")) {
      openGroups.has(group.key) ? openGroups.delete(group.key) : openGroups.add(group.key);
      render();
      return;
    }
    if (e.target.classList.contains("pick")) {  // a group's box picks the whole group
      if (group && !group.member) document.querySelectorAll(`#alerts tr[data-group="${CSS.escape(group.key)}"] input.pick`)
        .forEach((x) => { x.checked = e.target.checked; });
      return;
    }
    showDetail(a.event_id);
  });
  return tr;
}

const REMIND_EVERY_MS = 60000;  // an unacknowledged alert is announced again until someone acknowledges it

// The badge counts what waits for this user in their whole scope, whatever the list's filter or
// page: alerts to acknowledge (operators), cases to answer (a hall's manager).
let waiting = 0;
const badgeState = () => (can("acknowledge") || !can("rectify") ? ["new", "待确认"] : ["dispatched", "待整改"]);
async function unackedCount() {
  const [state, label] = badgeState();
  try { waiting = (await apiPage(`/api/alerts?lifecycle=${state}&limit=1`)).total; } catch (e) { return waiting; }
  const badge = $("unacked");
  badge.textContent = `${label} ${waiting}`;
  badge.classList.toggle("pending", waiting > 0);
  document.title = (waiting ? `(${waiting}) ` : "") + "政务服务电子监察 · 监控中心";
  return waiting;
}
let badgeTimer = null;
const refreshBadge = () => { clearTimeout(badgeTimer); badgeTimer = setTimeout(unackedCount, 300); };

async function remind() {
  if (!can("acknowledge")) return;
  const n = await unackedCount();
  if (n > 0) cue(null, `${n} 条告警待确认`);
}

// Repeats: alerts of the same window, type and reason, each started within repeat_group_minutes of
// the next newer one, form one group headed by the newest (newest-first input).
const openGroups = new Set();
function groups(sorted) {
  const gap = (me.repeat_group_minutes || 0) * 60000, out = new Map(), last = new Map();
  for (const a of sorted) {
    const what = [a.hall_id, a.window_id || "", a.type, a.reason || ""].join("|");
    const prev = last.get(what);
    if (gap && a.window_id && prev && Date.parse(prev.started_at) - Date.parse(a.started_at) <= gap) {
      const g = out.get(prev.event_id);
      out.set(a.event_id, {key: g.key, member: true, size: 0});
      out.get(g.key).size += 1;
    } else {
      out.set(a.event_id, {key: a.event_id, member: false, size: 1});
    }
    last.set(what, a);
  }
  return out;
}

function render() {
  // By time, not by text: the newest first whatever the offset a timestamp is written with.
  const sorted = [...alerts.values()].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  const shown = sorted.filter(matches), grouped = groups(shown);
  const list = $("alerts"); list.replaceChildren(...shown.map((a) => row(a, a._fresh, grouped.get(a.event_id))));
  $("review").replaceChildren(...sorted.filter((a) => a.lifecycle === "acknowledged").map((a) => row(a, false)));
  sorted.forEach((a) => { a._fresh = false; });
  $("pick-all").checked = false;
  refreshBadge();
}

function matches(a) {
  const region = $("f-region").value, hall = $("f-hall").value, type = $("f-type").value, life = $("f-lifecycle").value;
  const since = $("f-since").value, level = $("f-level").value;
  return (!level || a.level === level) && (!region || a.region_path.includes(region)) && (!hall || a.hall_id === hall) && (!type || a.type === type) &&
    (!life || a.lifecycle === life) && (!since || new Date(a.started_at) >= new Date(since));
}

function cue(a, text) {
  const banner = $("banner");
  banner.textContent = text || `新告警：${hallName(a.hall_id)} ${TYPES[a.type] || a.type}`;
  banner.style.display = "block";
  setTimeout(() => { banner.style.display = "none"; }, 5000);
  try {
    const ctx = new AudioContext(), osc = ctx.createOscillator();
    osc.frequency.value = 880; osc.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.25);
  } catch (e) { /* no audio device */ }
}

const PAGE = 100;
let page = 0, total = 0;
async function loadAlerts() {
  const params = new URLSearchParams({limit: String(PAGE), offset: String(page * PAGE)});
  for (const [key, id] of [["region", "f-region"], ["hall", "f-hall"], ["type", "f-type"], ["lifecycle", "f-lifecycle"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  if ($("f-since").value) params.set("since", new Date($("f-since").value).toISOString());
  const answer = await apiPage(`/api/alerts?${params}`);
  total = answer.total;
  alerts.clear();
  for (const a of answer.items) alerts.set(a.event_id, a);
  const pages = Math.max(1, Math.ceil(total / PAGE));
  $("page-info").textContent = `共 ${total} 条 · 第 ${page + 1}/${pages} 页`;
  $("page-prev").disabled = page === 0;
  $("page-next").disabled = page + 1 >= pages;
  render();
}

function live() {
  const source = new EventSource("/api/stream");
  // A dropped stream is shown, not silent: the list may be missing what arrived meanwhile.
  // Back: the list is read again, so nothing that arrived meanwhile is missing.
  let dropped = false;
  source.addEventListener("open", () => {
    $("live-state").classList.add("hidden");
    if (dropped) { dropped = false; loadAlerts(); }
  });
  source.addEventListener("error", () => { dropped = true; $("live-state").classList.remove("hidden"); });
  source.addEventListener("alert", (e) => {
    const a = JSON.parse(e.data);
    const known = alerts.has(a.event_id);
    if (!known && page > 0) { refreshBadge(); return; }  // new alerts go on the first page
    a._fresh = !known;
    if (!known) total += 1;
    alerts.set(a.event_id, a);
    render();
    if (!known) cue(a);
    if (selected === a.event_id) showDetail(a.event_id);
  });
}

function zoneOverlay(polygon, image) {
  if (!polygon) return "";
  const points = polygon.map((p) => p.join(",")).join(" ");
  return `<svg viewBox="0 0 ${image.naturalWidth || 768} ${image.naturalHeight || 576}" preserveAspectRatio="none">
    <polygon points="${points}" fill="rgba(229,57,53,0.15)" stroke="#e53935" stroke-width="4"/></svg>`;
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
    ? `<li class="event-time">${fmt(e.details[own[e.action]])} · ${esc(ACTIONS[e.action])} · ${esc(actorName(e))}（服务收到 ${fmt(e.at)}）</li>`
    : `<li>${fmt(e.at)} · ${esc(ACTIONS[e.action] || e.action)} · ${esc(actorName(e))}
      ${e.details.note ? "：" + esc(e.details.note) : ""}${e.details.requirement ? "：" + esc(e.details.requirement) : ""}${e.details.due_at ? "（时限 " + fmt(e.details.due_at) + "）" : ""}${e.details.to_region ? " → " + esc(regionName(e.details.to_region)) : ""}</li>`);
  if (views.length) {
    const last = views[views.length - 1], who = new Set(views.map((e) => e.actor));
    lines.push(`<li class="folded">查看证据 ${views.length} 次（${who.size} 人，最近 ${fmt(last.at)} · ${esc(actorName(last))}）</li>`);
  }
  return lines.join("");
}

async function showDetail(id) {
  // The same alert drawn again (an update arrived): what the user was typing stays.
  const typed = selected === id ? Object.fromEntries([...document.querySelectorAll("#actions textarea, #actions input")]
    .filter((e) => e.id && e.value).map((e) => [e.id, e.value])) : {};
  selected = id;
  document.querySelectorAll("tr.alert-row").forEach((tr) => tr.classList.toggle("selected", tr.dataset.id === id));
  const a = await api(`/api/alerts/${encodeURIComponent(id)}`);
  if (selected !== id) return;  // another alert was chosen meanwhile
  const ev = a.evidence || {};
  const file = (name) => `/api/alerts/${encodeURIComponent(id)}/evidence/${encodeURIComponent(name)}`;
  const integrity = {ok: `<span class="ok">✔ 证据完整性校验通过</span>`, failed: `<span class="failed">✘ 证据校验失败：${esc(a.integrity_problems.join("；"))}</span>`,
    none: "证据生成中或无证据"}[a.integrity];
  const actions = caseActions(a);
  const links = [];
  if (can("export"))
    links.push(`<a href="/api/alerts/${encodeURIComponent(id)}/export" download id="export"><button>导出案卷 (ZIP)</button></a>`);
  if (can("case_sheet") && (a.case || !me.hall_id))
    links.push(`<a href="/api/alerts/${encodeURIComponent(id)}/case-sheet" download id="case-sheet"><button>打印督办单 (PDF)</button></a>`);
  if (links.length) actions.push(links.join(" "));
  $("detail").innerHTML = `<h2>${esc(TYPES[a.type])} · ${esc(REASONS[a.reason] || "")}</h2>
    <p>${esc(a.hall_name)} ${a.window_id ? "· " + esc(a.window_name || a.window_id) : ""}${a.on_duty && a.on_duty.length ? "（值班人员：" + a.on_duty.map(esc).join("、") + "）" : ""} · 摄像头 ${esc(a.camera_id)} · 画面区域 ${esc(a.zone_id)}<br>
    ${esc((a.region_names || []).join(" › "))}<br>
    ${fmt(a.started_at)} — ${a.ended_at ? fmt(a.ended_at) : "进行中"}（${dur(a.duration_s)}），峰值人数 ${a.people}
    ${a.min_distance_m != null ? "，最小间距 " + a.min_distance_m.toFixed(2) + " 米" : ""}<br>
    ${detectionText(a.detection)}
    状态：<span class="badge ${a.lifecycle}">${LIFECYCLE[a.lifecycle]}</span> ${a.review_outcome ? "（" + (a.review_outcome === "confirmed" ? "认定违规" : "不予认定") + "）" : ""}
    ${a.overdue ? ` <span class="badge overdue">逾期未整改</span>` : ""}
    ${a.escalated_to ? " · 已升级至 " + esc(regionName(a.escalated_to)) : ""}</p>
    ${caseSection(a)}
    <p>${integrity}</p>
    ${ev.snapshot ? `<div class="media"><img id="snap" alt="告警快照" src="${file("snapshot_raw")}"></div>` : ""}
    ${ev.open_clip ? `<h3>视频证据 <label class="toggle"><input type="checkbox" id="overlay-on" checked> 显示识别标注</label></h3>
      <div class="media player"><video id="clip" controls muted preload="auto" src="${file("open_clip")}"></video><canvas id="clip-overlay"></canvas></div>` : ""}
    ${ev.close_clip ? `<h3>结束时段视频</h3><div class="media player"><video id="close-clip" controls muted preload="metadata" src="${file("close_clip")}"></video><canvas id="close-overlay"></canvas></div>` : ""}
    ${ev.open_clip ? `<p class="legend"><span class="swatch red"></span>违规涉及人员 <span class="swatch green"></span>其他人员
      <span class="swatch zone"></span>规则区域（#编号为跟踪编号，红线标出间距不足 1 米的两人；视频为摄像机原始画面，标注为识别数据，导出案卷时另附标注视频）</p>` : ""}
    <h3>事件时间线</h3><ul class="timeline">${timeline(a.audit)}</ul>
    <div id="actions">${actions.join("<hr>")}</div><p id="action-msg" class="error"></p>`;
  for (const [field, value] of Object.entries(typed)) if ($(field)) $(field).value = value;
  if (ev.open_clip && ev.open_overlay) attachOverlay($("clip"), $("clip-overlay"), file("open_overlay"), $("overlay-on"));
  if (ev.close_clip && ev.close_overlay) attachOverlay($("close-clip"), $("close-overlay"), file("close_overlay"), $("overlay-on"));
  const snap = $("snap");
  if (snap) snap.addEventListener("load", () => snap.insertAdjacentHTML("afterend", zoneOverlay(a.zone_polygon, snap)), {once: true});
  const act = async (path, body) => {
    try {
      await api(`/api/alerts/${encodeURIComponent(id)}/${path}`, {method: "POST", body: JSON.stringify(body)});
      document.querySelectorAll("#actions textarea, #actions input").forEach((e) => { e.value = ""; });  // done: fresh fields
      await loadAlerts(); await showDetail(id);
      $("detail").scrollTop = 0;  // the new status is at the top of the detail
    }
    catch (e) { $("action-msg").textContent = e.message; }
  };
  $("ack")?.addEventListener("click", () => act("ack", {note: $("ack-note").value || null}));
  const review = (outcome) => {
    const note = $("review-note").value.trim();
    if (!note) { $("action-msg").textContent = "复核意见必填"; return; }
    act("review", {outcome, note});
  };
  $("confirm")?.addEventListener("click", () => review("confirmed"));
  $("dismiss")?.addEventListener("click", () => review("dismissed"));
  $("close")?.addEventListener("click", () => act("close", {note: $("close-note")?.value.trim() || null}));
  const need = (field, message) => { const v = $(field).value.trim(); if (!v) $("action-msg").textContent = message; return v; };
  const due = (field) => $(field).value ? withHallOffset($(field).value) : null;
  $("dispatch")?.addEventListener("click", () => {
    const requirement = need("dispatch-requirement", "整改要求必填"), due_at = due("dispatch-due");
    if (!requirement) return;
    if (!due_at) { $("action-msg").textContent = "整改时限必填"; return; }
    act("dispatch", {requirement, due_at});
  });
  $("rectify")?.addEventListener("click", () => { const note = need("rectify-note", "整改情况必填"); if (note) act("rectify", {note}); });
  $("return")?.addEventListener("click", () => {
    const note = need("return-note", "退回意见必填"), due_at = due("return-due");
    if (!note) return;
    if (!due_at) { $("action-msg").textContent = "新的整改时限必填"; return; }
    act("return", {note, due_at});
  });
}

// A deadline field's default: n days from now, in the halls' local time (datetime-local format).
function localInDays(n) {
  const t = new Date(Date.now() + n * 86400000);
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {timeZone: me.timezone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"}).formatToParts(t).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// The next step of the alert's lifecycle this user may take: 确认, 复核, 督办, 整改反馈, 退回/办结.
function caseActions(a) {
  const out = [];
  if (a.lifecycle === "new" && can("acknowledge"))
    out.push(`<textarea id="ack-note" placeholder="处置说明（可选）"></textarea> <button class="primary" id="ack">确认告警</button>`);
  if (a.lifecycle === "acknowledged" && can("review"))
    out.push(`<textarea id="review-note" placeholder="复核意见（必填）"></textarea>
      <button class="primary" id="confirm">认定违规</button> <button id="dismiss">不予认定</button>`);
  if (a.lifecycle === "reviewed" && a.review_outcome === "confirmed" && can("dispatch"))
    out.push(`<h3>督办</h3><textarea id="dispatch-requirement" placeholder="整改要求（必填）" maxlength="2000"></textarea>
      <label>整改时限 <input id="dispatch-due" type="datetime-local" value="${localInDays(3)}"></label>
      <button class="primary" id="dispatch">下发督办单</button>`);
  if (a.lifecycle === "reviewed" && a.review_outcome === "dismissed" && can("close"))
    out.push(`<textarea id="close-note" placeholder="办结意见（可选）"></textarea> <button id="close">办结</button>`);
  if (a.lifecycle === "dispatched" && can("rectify"))
    out.push(`<h3>整改反馈</h3><textarea id="rectify-note" placeholder="整改情况（必填）" maxlength="2000"></textarea>
      <button class="primary" id="rectify">提交整改反馈</button>`);
  if (a.lifecycle === "rectified" && can("close"))
    out.push(`<h3>审核整改反馈</h3><textarea id="close-note" placeholder="办结意见（可选）"></textarea>
      <button class="primary" id="close">办结</button><br>
      <textarea id="return-note" placeholder="退回意见（退回时必填）"></textarea>
      <label>新的整改时限 <input id="return-due" type="datetime-local" value="${localInDays(3)}"></label>
      <button id="return">退回重办</button>`);
  return out;
}

// 督办单 as the hall sees it: the requirement, the deadline, the reply, the closing opinion.
function caseSection(a) {
  const c = a.case;
  if (!c) return "";
  const line = (label, value) => `<tr><th>${label}</th><td>${value}</td></tr>`;
  return `<table class="case"><caption>督办情况</caption>
    ${line("整改要求", esc(c.requirement))}
    ${line("整改时限", fmt(c.due_at) + (c.returns ? `（已退回 ${c.returns} 次）` : "") + (c.overdue ? ` <span class="badge overdue">逾期</span>` : ""))}
    ${line("督办", fmt(c.first_dispatched_at))}
    ${line("整改反馈", c.rectification ? `${esc(c.rectification)}（${fmt(c.rectified_at)}${c.rectified_late ? "，逾期反馈" : ""}）` : "尚未反馈")}
    ${c.closed_at ? line("办结意见", `${esc(c.closing_note || "同意办结")}（${fmt(c.closed_at)}）`) : ""}</table>`;
}

// The camera wall: each camera's latest frame (written by the pipeline every few seconds) with its
// zones drawn over it, refreshed while the tab is open.
const ZONE_COLOURS = {post: "#ffca28", staff_area: "#42a5f5", service_area: "#ef5350", queue_area: "#66bb6a"};
function wall(cams) {
  $("wall").innerHTML = cams.map((c) => {
    const [w, h] = c.frame_size || [768, 576];
    const zones = c.zones.map((z) => `<polygon points="${z.polygon.map((p) => p.join(",")).join(" ")}"
      fill="none" stroke="${ZONE_COLOURS[z.kind] || "#fff"}" stroke-width="${Math.max(2, w / 300)}"/>`).join("");
    return `<figure class="cam ${c.status}"><div class="shot" data-aspect="${w} / ${h}"><img alt="${esc(c.name || c.camera_id)}" data-camera="${esc(c.camera_id)}"
      src="/api/cameras/${encodeURIComponent(c.camera_id)}/snapshot?t=${Date.now()}">
      <svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none">${zones}</svg></div>
      <figcaption>${esc(c.name || c.camera_id)} · ${esc(hallName(c.hall_id))} ·
      <span class="${c.status}">${{online: "在线", degraded: "降级", offline: "离线"}[c.status]}</span></figcaption></figure>`;
  }).join("");
  // No inline styles or handlers (the Content-Security-Policy allows neither): set them here.
  $("wall").querySelectorAll(".shot[data-aspect]").forEach((el) => { el.style.aspectRatio = el.dataset.aspect; });
  $("wall").querySelectorAll("img[data-camera]").forEach((img) => img.addEventListener("error", () => img.classList.add("missing")));
}
setInterval(() => {
  if ($("tab-cameras").classList.contains("hidden")) return;
  document.querySelectorAll("#wall img").forEach((img) => {
    img.classList.remove("missing");
    img.src = `/api/cameras/${encodeURIComponent(img.dataset.camera)}/snapshot?t=${Date.now()}`;
  });
}, 10000);

async function loadCameras() {
  const [cams, cov] = await Promise.all([api("/api/cameras"), api("/api/coverage")]);
  $("cameras").replaceChildren(...cams.map((c) => {
    const tr = document.createElement("tr");
    const beat = c.heartbeat || {};
    tr.innerHTML = `<td>${esc(c.name || c.camera_id)}</td><td>${esc(hallName(c.hall_id))}</td>
      <td class="${c.status}">${{online: "在线", degraded: "降级", offline: "离线"}[c.status]}</td>
      <td>${c.last_heartbeat_age_s == null ? "从未" : Math.round(c.last_heartbeat_age_s) + " 秒前"}</td>
      <td>${beat.fps_analysed ?? "—"} / ${beat.analysis_fps ?? "—"}</td><td>${esc(beat.worker_id || "—")}</td>`;
    return tr;
  }));
  wall(cams);
  const uncovered = new Set(cov.uncovered.map((h) => h.hall_id));
  const why = Object.fromEntries(cov.uncovered.map((h) => [h.hall_id, h]));
  const LEVEL_NAMES = {city: "市级", county: "县级", township: "乡级"};
  // One bar per level: halls covered / halls, coloured like the Grafana thresholds.
  const bar = (x, level, small) => {
    if (!x || !x.halls) return `<div class="cov-bar${small ? " small" : ""} none"><span>${LEVEL_NAMES[level]}</span><b class="track"><em>无大厅</em></b></div>`;
    const pct = x.ratio * 100, colour = pct >= 100 ? "full" : pct >= 95 ? "near" : "low";
    return `<div class="cov-bar${small ? " small" : ""} ${colour}" title="窗口 ${x.windows_covered}/${x.windows}">
      <span>${LEVEL_NAMES[level]}</span><b class="track"><i data-width="${pct.toFixed(1)}%"></i><em>${x.halls_covered}/${x.halls} 个大厅 · ${pct.toFixed(0)}%</em></b></div>`;
  };
  const bars = (regionKey, small) => ["city", "county", "township"].map((lv) => bar((cov.by_region[regionKey] || {})[lv], lv, small)).join("");
  const camerasOf = (hallId) => cams.filter((c) => c.hall_id === hallId);
  const hallLine = (h) => {
    const cs = camerasOf(h.id), off = cs.filter((c) => c.status !== "online");
    const detail = uncovered.has(h.id) ? `（未覆盖：${esc(why[h.id].reason === "no camera" ? "无摄像头" : "摄像头离线 " + off.map((c) => c.name || c.camera_id).join("、"))}）` : `✔ ${cs.length} 路摄像头在线`;
    return `<li class="${uncovered.has(h.id) ? "uncovered" : ""}">${esc(h.name)} · ${h.windows.length} 个窗口 ${detail}</li>`;
  };
  const node = (region) => {
    const kids = registry.regions.filter((r) => r.parent === region.id);
    // Uncovered halls first: what an administrator has to act on.
    const halls = registry.halls.filter((h) => h.region === region.id).sort((a, b) => uncovered.has(b.id) - uncovered.has(a.id));
    return `<li><details ${uncovered.size && halls.some((h) => uncovered.has(h.id)) || kids.length ? "open" : ""}><summary><b>${esc(region.name)}</b>
      <span class="cov-bars">${bars(region.id, true)}</span></summary><ul>
      ${halls.map(hallLine).join("")}${kids.map(node).join("")}</ul></details></li>`;
  };
  const roots = registry.regions.filter((r) => !registry.regions.some((p) => p.id === r.parent));
  const top = cov.by_region.all ? "all" : me.region_id;
  $("coverage").innerHTML = `<div class="cov-top">${bars(top, false)}</div><ul>${roots.map(node).join("")}</ul>`;
  $("coverage").querySelectorAll("i[data-width]").forEach((el) => { el.style.width = el.dataset.width; });
}

async function loadAbsences() {
  const rows = await api("/api/absences");
  $("absences").replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td>${esc(hallName(r.hall_id))}</td><td>${esc(windowName(r.hall_id, r.window_id) || r.zone_id)}</td>
      <td>${esc(r.person || "—")}</td><td>${fmt(r.start)}</td><td>${fmt(r.end)}</td><td>${esc(r.reason)}</td><td>${esc(r.registered_by)}</td>`;
    return tr;
  }));
}

function fillForms() {
  $("f-type").insertAdjacentHTML("beforeend", Object.entries(TYPES).map(([code, name]) => `<option value="${esc(code)}">${esc(name)}</option>`).join(""));
  const hallOptions = registry.halls.map((h) => `<option value="${esc(h.id)}">${esc(h.name)}</option>`).join("");
  $("f-hall").insertAdjacentHTML("beforeend", hallOptions);
  $("f-region").insertAdjacentHTML("beforeend", registry.regions.map((r) => `<option value="${esc(r.id)}">${esc(r.name)}</option>`).join(""));
  $("a-hall").innerHTML = hallOptions;
  const windows = () => {
    const hall = registry.halls.find((h) => h.id === $("a-hall").value);
    $("a-window").innerHTML = (hall ? hall.windows : []).map((w) => `<option value="${esc(w.id)}">${esc(w.name || w.id)}</option>`).join("");
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

function tabs() {
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("nav button").forEach((x) => x.classList.toggle("active", x === b));
    for (const tab of ["alerts", "review", "cameras", "absences", "rosters", "report", "stats", "shifts", "install"]) $(`tab-${tab}`).classList.toggle("hidden", tab !== b.dataset.tab);
    // The report needs the whole width: no alert detail beside it.
    document.querySelector("main").classList.toggle("wide", ["report", "stats", "install", "rosters"].includes(b.dataset.tab));
    selected = null;  // a tab starts without the previous tab's alert open
    $("detail").innerHTML = "<p>选择左侧告警查看详情。</p>";
    document.querySelectorAll("tr.alert-row.selected").forEach((tr) => tr.classList.remove("selected"));
    if (b.dataset.tab === "cameras") loadCameras();
    if (b.dataset.tab === "absences") loadAbsences();
    if (b.dataset.tab === "report") window.loadReport?.();
    if (b.dataset.tab === "stats") window.loadStats?.();
    if (b.dataset.tab === "shifts") window.loadShiftNotes?.();
    if (b.dataset.tab === "rosters") window.loadRosters?.();
    if (b.dataset.tab === "install") window.loadInstall?.();
  }));
}

(async () => {
  me = await api("/api/me");
  [registry, {types: TYPES, reasons: REASONS, zone_kinds: ZONE_LABELS}] = await Promise.all([api("/api/registry"), api("/api/labels")]);
  const scope = me.hall_id ? hallName(me.hall_id) : me.region_name;
  $("user").textContent = `${me.display_name || me.username}（${{operator: "监控值班员", discipline_officer: "纪检人员", admin: "管理员", hall_manager: "大厅负责人"}[me.role]} · ${scope}）`;
  // Tabs this user may not open are not shown (the server refuses them all the same).
  document.querySelectorAll("nav button[data-need]").forEach((b) => b.classList.toggle("hidden", !can(b.dataset.need)));
  $("logout").addEventListener("click", async () => { await api("/api/logout", {method: "POST"}); location.href = "/login"; });
  fillForms();
  window.setUpReport?.();
  window.setUpStats?.();
  window.setUpShiftNotes?.();
  window.setUpRosters?.();
  window.setUpInstall?.();
  tabs();
  $("f-apply").addEventListener("click", () => { page = 0; loadAlerts(); });
  $("page-prev").addEventListener("click", () => { page = Math.max(0, page - 1); loadAlerts(); });
  $("page-next").addEventListener("click", () => { page += 1; loadAlerts(); });
  $("pick-all").addEventListener("change", (e) => {
    document.querySelectorAll("#alerts input.pick").forEach((x) => { x.checked = e.target.checked; });
  });
  $("pick-all-label").classList.toggle("hidden", !can("acknowledge"));
  $("bulk-ack").classList.toggle("hidden", !can("acknowledge"));
  $("bulk-ack").addEventListener("click", async () => {
    const ids = [...document.querySelectorAll("#alerts input.pick:checked")].map((x) => x.dataset.id);
    if (!ids.length) { $("bulk-msg").textContent = "请先勾选待确认的告警"; return; }
    try {
      const r = await api("/api/alerts/ack", {method: "POST", body: JSON.stringify({event_ids: ids})});
      $("bulk-msg").textContent = `已确认 ${r.acknowledged.length} 条` + (Object.keys(r.refused).length ? `，${Object.keys(r.refused).length} 条未确认` : "");
      await loadAlerts();
    } catch (err) { $("bulk-msg").textContent = "批量确认失败：" + err.message; }
  });
  $("f-level").addEventListener("change", render);
  await loadAlerts();
  live();
  setInterval(remind, REMIND_EVERY_MS);
})();
