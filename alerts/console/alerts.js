// 实时告警: the list (paged, filtered, repeats grouped), the live stream (server-sent events), the
// badge of what waits for this user, and bulk acknowledgement. Every text reaches the page through
// lit-html templates: escaped by construction.
import {html, nothing, render} from "./vendor/lit-html.js";
import {showDetail, selected, LIFECYCLE} from "./detail.js";
import {$, api, apiPage, can, fmt, fmtShort, hallName, reasonName, regionName, state, typeName, withHallOffset} from "./session.js";
import {sound} from "./sound.js";
import {dur, groups} from "./util.js";

const alerts = new Map();
const openGroups = new Set();
const PAGE = 100;
const REMIND_EVERY_MS = 60000;  // an unacknowledged alert is announced again until someone acknowledges it
let page = 0, total = 0;

function matches(a) {
  const region = $("f-region").value, hall = $("f-hall").value, type = $("f-type").value, life = $("f-lifecycle").value;
  const since = $("f-since").value, level = $("f-level").value;
  return (!level || a.level === level) && (!region || a.region_path.includes(region)) && (!hall || a.hall_id === hall) &&
    (!type || a.type === type) && (!life || a.lifecycle === life) && (!since || Date.parse(a.started_at) >= Date.parse(withHallOffset(since)));
}

function toggleGroup(key) {
  openGroups.has(key) ? openGroups.delete(key) : openGroups.add(key);
  renderList();
}

function pickGroup(event, group) {  // a group's box picks the whole group
  if (!group || group.member) return;
  document.querySelectorAll(`#alerts tr[data-group="${CSS.escape(group.key)}"] input.pick`)
    .forEach((x) => { x.checked = event.target.checked; });
}

function row(a, group) {
  const classes = ["alert-row", a._fresh ? "fresh" : "", selected() === a.event_id ? "selected" : "",
    group && group.member ? "repeat" : "", group && group.member && !openGroups.has(group.key) ? "hidden" : ""];
  const place = `${a.hall_name}${a.window_id ? ` · ${a.window_name || a.window_id}` : ""}`;
  const duty = (a.on_duty || []).join("、");
  const regions = a.region_names || a.region_path.map(regionName);
  const click = (e) => {
    if (e.target.classList.contains("pick") || e.target.classList.contains("repeat-toggle")) return;
    showDetail(a.event_id);
  };
  return html`<tr class=${classes.filter(Boolean).join(" ")} data-id=${a.event_id} data-group=${group ? group.key : nothing} @click=${click}>
    <td>${a.lifecycle === "new" && can("acknowledge")
      ? html`<input type="checkbox" class="pick" data-id=${a.event_id} title="选中以批量确认" @change=${(e) => pickGroup(e, group)}>` : nothing}</td>
    <td class="shot">${a.evidence.snapshot
        ? html`<img class="thumb" alt="快照" src=${`/api/alerts/${encodeURIComponent(a.event_id)}/evidence/snapshot`}>`
        : nothing}</td>
    <td title=${`${typeName(a.type)} · ${reasonName(a.reason)}`}>${typeName(a.type)}${a.reason
      ? html` <small>${reasonName(a.reason)}</small>` : nothing}</td>
    <td title=${duty ? `${place}（值班：${duty}）` : place}>${place}${duty ? html` <small>${duty}</small>` : nothing}</td>
    <td title=${regions.join(" › ")}>${regions[regions.length - 1]}</td>
    <td title=${fmt(a.started_at)}>${fmtShort(a.started_at)}</td><td>${dur(a.duration_s)}${a.event_status === "open" ? " …" : ""}</td>
    <td><span class="badge ${a.lifecycle}">${LIFECYCLE[a.lifecycle]}</span>${a.overdue
      ? html` <span class="badge overdue">逾期</span>` : nothing}${a.escalations ? " ⬆" : ""}
      ${group && group.size > 1 ? html`<button class="repeat-toggle" type="button" title="同一窗口、同一原因的重复告警：点击展开或收起"
        @click=${() => toggleGroup(group.key)}>×${group.size}${openGroups.has(group.key) ? " 收起" : ""}</button>` : nothing}</td></tr>`;
}

export function renderList() {
  // By time, not by text: the newest first whatever the offset a timestamp is written with.
  const sorted = [...alerts.values()].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  const shown = sorted.filter(matches), grouped = groups(shown, state.me.repeat_group_minutes);
  render(html`${shown.map((a) => row(a, grouped.get(a.event_id)))}`, $("alerts"));
  render(html`${sorted.filter((a) => a.lifecycle === "acknowledged").map((a) => row(a, null))}`, $("review"));
  sorted.forEach((a) => { a._fresh = false; });
  $("pick-all").checked = false;
  refreshBadge();
}

// The badge counts what waits for this user in their whole scope, whatever the list's filter or
// page: alerts to acknowledge (operators), cases to answer (a hall's manager).
let waiting = 0, badgeTimer = null;
// Each role counts what it can act on: 待确认 (acknowledge), 待复核 (review), 待整改 (a hall's reply).
const badgeState = () => can("acknowledge") ? ["new", "待确认"] : can("review") ? ["acknowledged", "待复核"]
  : can("rectify") ? ["dispatched", "待整改"] : ["new", "待确认"];
async function countWaiting() {
  const [lifecycle, label] = badgeState();
  try { waiting = (await apiPage(`/api/alerts?lifecycle=${lifecycle}&limit=1`)).total; } catch (e) { return waiting; }
  const badge = $("unacked");
  badge.textContent = `${label} ${waiting}`;
  badge.classList.toggle("pending", waiting > 0);
  document.title = (waiting ? `(${waiting}) ` : "") + "政务服务电子监察 · 监控中心";
  return waiting;
}
const refreshBadge = () => { clearTimeout(badgeTimer); badgeTimer = setTimeout(countWaiting, 300); };

export function cue(a, text) {
  const banner = $("banner");
  banner.textContent = text || `新告警：${hallName(a.hall_id)} ${typeName(a.type)}`;
  banner.style.display = "block";
  setTimeout(() => { banner.style.display = "none"; }, 5000);
  sound(a);
}

async function remind() {
  if (!can("acknowledge")) return;
  const n = await countWaiting();
  if (n > 0) cue(null, `${n} 条告警待确认`);
}

export async function loadAlerts() {
  const params = new URLSearchParams({limit: String(PAGE), offset: String(page * PAGE)});
  for (const [key, id] of [["region", "f-region"], ["hall", "f-hall"], ["type", "f-type"], ["lifecycle", "f-lifecycle"]]) {
    if ($(id).value) params.set(key, $(id).value);
  }
  if ($("f-since").value) params.set("since", withHallOffset($("f-since").value));  // the halls' time
  const answer = await apiPage(`/api/alerts?${params}`);
  total = answer.total;
  alerts.clear();
  for (const a of answer.items) alerts.set(a.event_id, a);
  const pages = Math.max(1, Math.ceil(total / PAGE));
  $("page-info").textContent = `共 ${total} 条 · 第 ${page + 1}/${pages} 页`;
  $("page-prev").disabled = page === 0;
  $("page-next").disabled = page + 1 >= pages;
  renderList();
}

function live() {
  const source = new EventSource("/api/stream");
  // A dropped stream is shown, not silent; back, the list is read again, so nothing that arrived
  // meanwhile is missing.
  let dropped = false;
  source.addEventListener("open", () => {
    $("live-state").classList.add("hidden");
    if (dropped) { dropped = false; loadAlerts(); }
  });
  source.addEventListener("error", () => { dropped = true; $("live-state").classList.remove("hidden"); });
  source.addEventListener("alert", (e) => {
    const a = JSON.parse(e.data);
    const known = alerts.has(a.event_id), before = alerts.get(a.event_id);
    if (!known && page > 0) { refreshBadge(); return; }  // new alerts go on the first page
    a._fresh = !known;
    if (!known) total += 1;
    alerts.set(a.event_id, a);
    renderList();
    if (!known) cue(a);
    else if ((a.escalations || 0) > (before.escalations || 0)) cue(a, `告警超时升级：${hallName(a.hall_id)} ${typeName(a.type)}`);
    if (selected() === a.event_id) showDetail(a.event_id);
  });
}

function fillFilters() {
  const {registry, labels} = state;
  render(html`<option value="">全部类型</option>${Object.entries(labels.types).map(([code, name]) =>
    html`<option value=${code}>${name}</option>`)}`, $("f-type"));
  render(html`<option value="">全部大厅</option>${registry.halls.map((h) => html`<option value=${h.id}>${h.name}</option>`)}`, $("f-hall"));
  render(html`<option value="">全部区域</option>${registry.regions.map((r) => html`<option value=${r.id}>${r.name}</option>`)}`, $("f-region"));
}

export async function setUpAlerts() {
  fillFilters();
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
  $("f-level").addEventListener("change", renderList);
  await loadAlerts();
  live();
  setInterval(remind, REMIND_EVERY_MS);
}
