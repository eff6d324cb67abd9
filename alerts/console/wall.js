// The big-screen wall (大屏): reads /api/wall every 10 s and draws it at three metres' reading size;
// no interaction. Texts reach the page through lit-html templates: escaped by construction.
import {html, nothing, render} from "./vendor/lit-html.js";
import {fmtShort, percent, shareClass} from "./util.js";

const EVERY_MS = 10000;
const TICKER_ROWS = 6;  // as many as a 1080-line screen shows
const $ = (id) => document.getElementById(id);
let timeZone = "Asia/Shanghai", lastGood = null, seen = new Set();

function bar(name, value, ratio, tone) {
  const width = ratio == null ? 0 : Math.max(0, Math.min(1, ratio)) * 100;
  return html`<div class="bar ${tone}"><span class="name" title=${name}>${name}</span>
    <span class="track"><i data-width=${`${width.toFixed(1)}%`}></i></span><span class="value">${value}</span></div>`;
}

function board(w) {
  const maxType = Math.max(1, ...w.today.by_type.map((t) => t.count));
  const maxOpen = Math.max(1, ...w.top_halls.map((h) => h.open));
  return html`
  <section class="panel"><h2>今日告警</h2>
    <div class="big">${w.today.total}<small>条</small></div>
    <div class="trio">${w.today.by_level.map((l) => html`<div><b>${l.count}</b><span>${l.name}</span></div>`)}</div>
    <p class="note">其中待复核 ${w.today.pending_review} 条；经复核不予认定的 ${w.today.dismissed} 条不计入</p></section>
  <section class="panel"><h2>今日告警（按类型）</h2>
    <div class="bars">${w.today.by_type.map((t) => bar(t.name, t.count, t.count / maxType, ""))}</div></section>
  <section class="panel"><h2>实时告警</h2>
    ${w.ticker.length ? html`<ul class="ticker">${w.ticker.slice(0, TICKER_ROWS).map((a) => html`<li class=${seen.size && !seen.has(a.event_id) ? "fresh" : ""}>
      <time>${fmtShort(a.started_at, timeZone)}</time><span class="where">${a.hall}${a.window ? ` · ${a.window}` : ""}</span>
      <span class="what">${a.type}${a.reason ? ` · ${a.reason}` : ""}</span></li>`)}</ul>` : html`<p class="empty">暂无告警</p>`}</section>
  <section class="panel"><h2>三级覆盖率</h2>
    <div class="bars">${w.coverage.map((c) => c.halls
      ? bar(c.name, percent(c.ratio, 0), c.ratio, shareClass(c.ratio, 1, 0.95))
      : bar(c.name, "无大厅", null, "none"))}</div>
    <h2 class="second">今日到岗率</h2>
    <div class="quad">${[{name: "全部", share: w.attendance.share}, ...w.attendance.by_level].map((a) => html`<div
      class=${shareClass(a.share, 0.95, 0.9)}><b>${percent(a.share, 1)}</b><span>${a.name}</span></div>`)}</div></section>
  <section class="panel"><h2>待处置最多的大厅</h2>
    ${w.top_halls.length ? html`<div class="bars">${w.top_halls.map((h) => bar(h.name, h.open, h.open / maxOpen, "low"))}</div>`
      : html`<p class="empty">没有待处置的告警</p>`}</section>
  <section class="panel"><h2>当前等候人数</h2>
    <div class="big">${w.waiting_now.total}<small>人</small></div>
    ${w.waiting_now.halls.length ? html`<div class="bars">${w.waiting_now.halls.map((h) => bar(h.name, h.people,
      h.people / Math.max(1, w.waiting_now.halls[0].people), ""))}</div>` : nothing}</section>`;
}

async function refresh() {
  let w;
  try {
    const r = await fetch("/api/wall", {headers: {Accept: "application/json"}});
    if (r.status === 401) { location.href = "/login"; return; }
    if (!r.ok) throw new Error(String(r.status));
    w = await r.json();
  } catch (e) {
    $("w-state").textContent = lastGood ? `数据更新失败，显示的是 ${fmtShort(lastGood, timeZone)} 的数据` : "正在连接告警服务…";
    $("w-state").classList.add("stale");
    return;
  }
  lastGood = w.generated_at;
  $("w-region").textContent = w.region;
  $("w-state").textContent = `更新于 ${fmtShort(w.generated_at, timeZone)}`;
  $("w-state").classList.remove("stale");
  render(board(w), $("wall-board"));
  // No inline styles (the Content-Security-Policy allows none): widths are set here.
  document.querySelectorAll("i[data-width]").forEach((el) => { el.style.width = el.dataset.width; });
  seen = new Set(w.ticker.map((a) => a.event_id));
}

// The board is laid out for 1920×1080: scaled to fit this screen, whatever its size.
function fit() {
  const scale = Math.min(innerWidth / 1920, innerHeight / 1080);
  $("stage").style.transform = `scale(${scale})`;
}
addEventListener("resize", fit);
fit();

function clock() {
  $("w-clock").textContent = new Date().toLocaleString("zh-CN", {timeZone, hour12: false, dateStyle: "long", timeStyle: "medium"});
}

const me = await fetch("/api/me").then((r) => r.ok ? r.json() : null);
if (!me) location.href = "/login";
else {
  timeZone = me.timezone;
  clock();
  setInterval(clock, 1000);
  await refresh();
  setInterval(refresh, EVERY_MS);
}
