// What every view of the console shares: the logged-in user (/api/me, with what they may do), the
// halls and regions they see (/api/registry), the display names of codes (/api/labels), and the
// API call that sends the CSRF token and turns errors into words.
import {errorText} from "./errors.js";
import {fmt as fmtIn, fmtShort as shortIn, hallToday as todayIn, withHallOffset as offsetIn, localInDays as inDaysIn} from "./util.js";

export const state = {me: null, registry: {regions: [], halls: []}, labels: {types: {}, reasons: {}, zone_kinds: {}}};

export const $ = (id) => document.getElementById(id);
// What this user may do: the server's permission table, from /api/me (never a copy of it here).
export const can = (action) => !!state.me && state.me.can.includes(action);
export const fmt = (iso) => fmtIn(iso, state.me?.timezone);
export const fmtShort = (iso) => shortIn(iso, state.me?.timezone);
export const hallToday = () => todayIn(state.me.timezone);
export const withHallOffset = (local) => offsetIn(local, state.me.timezone);
export const localInDays = (n) => inDaysIn(n, state.me.timezone);
export const typeName = (code) => state.labels.types[code] || code;
export const reasonName = (code) => state.labels.reasons[code] || "";
export const hallName = (id) => (state.registry.halls.find((h) => h.id === id) || {name: id}).name;
export const regionName = (id) => (state.registry.regions.find((r) => r.id === id) || {name: id}).name;
export const windowName = (hallId, windowId) => {
  const hall = state.registry.halls.find((h) => h.id === hallId);
  const w = hall && hall.windows.find((x) => x.id === windowId);
  return w ? (w.name || w.id) : windowId;
};

async function fetchChecked(path, options = {}) {
  const headers = {"Content-Type": "application/json", "X-CSRF-Token": state.me ? state.me.csrf : "", ...(options.headers || {})};
  let r;
  try { r = await fetch(path, {...options, headers}); }
  catch { throw new Error("无法连接服务，请检查网络后重试"); }
  if (r.status === 401) { location.href = "/login"; throw new Error(errorText(401, {})); }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new Error(errorText(r.status, body));
  }
  return r;
}

export async function api(path, options = {}) {
  const r = await fetchChecked(path, options);
  return r.headers.get("content-type")?.includes("json") ? r.json() : r;
}

// A page of a list with the total the server counted (X-Total-Count).
export async function apiPage(path) {
  const r = await fetchChecked(path);
  return {items: await r.json(), total: Number(r.headers.get("X-Total-Count") || 0)};
}

export async function start() {
  state.me = await api("/api/me");
  const [registry, labels] = await Promise.all([api("/api/registry"), api("/api/labels")]);
  state.registry = registry;
  state.labels = labels;
}

// Whether this browser plays a clip's codec from an MP4: H.264 everywhere; H.265 where the platform
// decodes it (asked of the browser). Else the console asks for the clip's H.264 rendition.
const HEVC = 'video/mp4; codecs="hvc1.1.6.L93.B0"';
export const browserPlays = (codec) => !codec || codec === "h264" ||
  (codec === "hevc" && ((window.MediaSource && MediaSource.isTypeSupported(HEVC)) ||
    document.createElement("video").canPlayType(HEVC) === "probably"));
export const playableUrl = (url, codec) => browserPlays(codec) ? url : `${url}?rendition=h264`;
