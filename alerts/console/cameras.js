// 摄像头与覆盖率: coverage as 市/县/乡 bars down the region tree (uncovered halls first, with why),
// the camera wall (each camera's latest frame with its zones), and the cameras' health.
import {html, nothing, render, svg} from "./vendor/lit-html.js";
import {$, api, hallName, state} from "./session.js";
import {ageText} from "./util.js";

export const ZONE_COLOURS = {post: "#ffca28", staff_area: "#42a5f5", service_area: "#ef5350", queue_area: "#66bb6a"};
const STATUS = {online: "在线", degraded: "降级", offline: "离线"};
const LEVEL_NAMES = {city: "市级", county: "县级", township: "乡级"};

const enlarged = new Set();  // cameras shown across the whole wall (a click on a tile toggles it)


function tile(c) {
  const [w, h] = c.frame_size || [768, 576];
  const big = enlarged.has(c.camera_id);
  const zones = c.zones.map((z) => svg`<polygon points=${z.polygon.map((p) => p.join(",")).join(" ")}
    fill="none" stroke=${ZONE_COLOURS[z.kind] || "#fff"} stroke-width=${Math.max(2, w / (big ? 500 : 300))}/>${big
    ? svg`<text x=${z.polygon[0][0] + 6} y=${z.polygon[0][1] + Math.max(18, w / 40)} font-size=${Math.max(16, w / 45)}
      fill=${ZONE_COLOURS[z.kind] || "#fff"}>${z.name || state.labels.zone_kinds[z.kind] || z.kind}</text>` : nothing}`);
  const toggle = () => { big ? enlarged.delete(c.camera_id) : enlarged.add(c.camera_id); loadWall(); };
  return html`<figure class="cam ${c.status}${big ? " enlarged" : ""}${c.snapshot_stale ? " stale" : ""}" data-camera=${c.camera_id}
    title=${big ? "点击缩小" : "点击放大（显示区域名称）"} @click=${toggle}>
    <div class="shot" data-aspect=${`${w} / ${h}`}><img alt=${c.name || c.camera_id}
    src=${`/api/cameras/${encodeURIComponent(c.camera_id)}/snapshot?t=${Date.now()}`}
    @error=${(e) => e.target.classList.add("missing")} @load=${(e) => e.target.classList.remove("missing")}>
    <svg viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none">${zones}</svg>
    ${c.snapshot_stale ? html`<span class="age">画面${c.snapshot_age_s == null ? "：暂无" : `停止更新 · ${ageText(c.snapshot_age_s)}`}</span>` : nothing}</div>
    <figcaption>${c.name || c.camera_id} · ${hallName(c.hall_id)} ·
    <span class=${c.status}>${STATUS[c.status]}</span></figcaption></figure>`;
}

function wall(cams) {
  render(html`${cams.map(tile)}`, $("wall"));
  // No inline styles (the Content-Security-Policy allows none): set them here.
  $("wall").querySelectorAll(".shot[data-aspect]").forEach((el) => {
    el.style.aspectRatio = el.dataset.aspect;
    // An enlarged tile fits the screen's height with its caption.
    el.parentElement.style.maxWidth = el.parentElement.classList.contains("enlarged") ? `calc((100vh - 150px) * ${el.dataset.aspect})` : "";
  });
}

async function loadWall() {
  wall(await api("/api/cameras"));
}

setInterval(() => {
  if (!$("tab-cameras").classList.contains("hidden")) loadWall().catch(() => {});
}, 10000);

// One bar per level: halls covered / halls, coloured like the Grafana thresholds.
function bar(x, level, small) {
  if (!x || !x.halls) return html`<div class="cov-bar${small ? " small" : ""} none"><span>${LEVEL_NAMES[level]}</span><b class="track"><em>无大厅</em></b></div>`;
  const pct = x.ratio * 100, colour = pct >= 100 ? "full" : pct >= 95 ? "near" : "low";
  return html`<div class="cov-bar${small ? " small" : ""} ${colour}" title=${`窗口 ${x.windows_covered}/${x.windows}`}>
    <span>${LEVEL_NAMES[level]}</span><b class="track"><i data-width=${`${pct.toFixed(1)}%`}></i><em>${x.halls_covered}/${x.halls} 个大厅 · ${pct.toFixed(0)}%</em></b></div>`;
}

export async function loadCameras() {
  const [cams, cov] = await Promise.all([api("/api/cameras"), api("/api/coverage")]);
  render(html`${cams.map((c) => {
    const beat = c.heartbeat || {};
    return html`<tr><td>${c.name || c.camera_id}</td><td>${hallName(c.hall_id)}</td>
      <td class=${c.status}>${STATUS[c.status]}</td>
      <td>${c.last_heartbeat_age_s == null ? "从未" : Math.round(c.last_heartbeat_age_s) + " 秒前"}</td>
      <td>${beat.fps_analysed ?? "—"} / ${beat.analysis_fps ?? "—"}</td><td>${beat.worker_id || "—"}</td></tr>`;
  })}`, $("cameras"));
  wall(cams);
  const {registry} = state;
  const uncovered = new Set(cov.uncovered.map((h) => h.hall_id));
  const why = Object.fromEntries(cov.uncovered.map((h) => [h.hall_id, h]));
  const bars = (regionKey, small) => ["city", "county", "township"].map((lv) => bar((cov.by_region[regionKey] || {})[lv], lv, small));
  const camerasOf = (hallId) => cams.filter((c) => c.hall_id === hallId);
  const hallLine = (h) => {
    const cs = camerasOf(h.id), off = cs.filter((c) => c.status !== "online");
    const detail = uncovered.has(h.id)
      ? `（未覆盖：${why[h.id].reason === "no camera" ? "无摄像头" : "摄像头离线 " + off.map((c) => c.name || c.camera_id).join("、")}）`
      : `✔ ${cs.length} 路摄像头在线`;
    return html`<li class=${uncovered.has(h.id) ? "uncovered" : ""}>${h.name} · ${h.windows.length} 个窗口 ${detail}</li>`;
  };
  const node = (region) => {
    const kids = registry.regions.filter((r) => r.parent === region.id);
    // Uncovered halls first: what an administrator has to act on.
    const halls = registry.halls.filter((h) => h.region === region.id).sort((a, b) => uncovered.has(b.id) - uncovered.has(a.id));
    const open = (uncovered.size && halls.some((h) => uncovered.has(h.id))) || kids.length;
    return html`<li><details ?open=${!!open}><summary><b>${region.name}</b>
      <span class="cov-bars">${bars(region.id, true)}</span></summary><ul>
      ${halls.map(hallLine)}${kids.map(node)}</ul></details></li>`;
  };
  const roots = registry.regions.filter((r) => !registry.regions.some((p) => p.id === r.parent));
  const top = cov.by_region.all ? "all" : state.me.region_id;
  render(html`<div class="cov-top">${bars(top, false)}</div><ul>${roots.map(node)}</ul>`, $("coverage"));
  $("coverage").querySelectorAll("i[data-width]").forEach((el) => { el.style.width = el.dataset.width; });
}
