// Pure helpers of the console: times in the halls' time zone, date arithmetic, durations, the
// repeat grouping, period parsing, request ordering. No DOM, no state: tested with `node --test`
// (tests/js/util.test.mjs).

// A value rejected with STALE is the answer to a request that a later one replaced: ignore it.
export const STALE = Symbol("stale");

// For views refreshed by quick clicks (another week, another range): wraps each request so that
// only the answer to the latest one is used; earlier ones reject with STALE.
export function latestOnly() {
  let latest = 0;
  return (request) => {
    const mine = ++latest;
    return request.then((value) => { if (mine !== latest) throw STALE; return value; },
      (error) => { throw mine === latest ? error : STALE; });
  };
}

// "3 分钟前": how old a picture is (a camera-wall tile whose picture stopped refreshing).
export const ageText = (s) => s == null ? "暂无画面" : s < 90 ? `${Math.round(s)} 秒前` : s < 5400
  ? `${Math.round(s / 60)} 分钟前` : s < 172800 ? `${Math.round(s / 3600)} 小时前` : `${Math.round(s / 86400)} 天前`;

// The alert sound's tones: [frequency Hz (0 = silence), seconds] each.
export const TONES = {
  alert: [[880, 0.25]],
  escalated: [[660, 0.16], [880, 0.16], [1175, 0.3]],
  waiting: [[523, 0.12], [0, 0.08], [523, 0.12], [0, 0.08], [523, 0.12]],
};

// Which tone an alert calls for: an escalated one (⬆) rises, citizens left waiting (群众等候) beep thrice.
export const toneOf = (a) => !a ? "alert" : a.escalations > 0 ? "escalated" : a.type === "citizen_waiting" ? "waiting" : "alert";

// The index of the point of ``points`` within ``radius`` of ``p`` (the nearest), else -1.
export function nearestVertex(points, p, radius) {
  let best = -1, bestDistance = radius;
  points.forEach((q, i) => {
    const d = Math.hypot(q[0] - p[0], q[1] - p[1]);
    if (d <= bestDistance) { best = i; bestDistance = d; }
  });
  return best;
}

// An undo history of plain snapshots (JSON-copied), at most ``limit`` deep.
export function history(limit = 50) {
  const past = [];
  return {
    push(state) { past.push(JSON.stringify(state)); if (past.length > limit) past.shift(); },
    pop() { return past.length ? JSON.parse(past.pop()) : null; },
    get size() { return past.length; },
  };
}

// A share as a percentage ("—" when there is none), and its tone against two thresholds.
export const percent = (x, digits = 1) => x == null ? "—" : `${(x * 100).toFixed(digits)}%`;
export const shareClass = (x, full, near) => x == null ? "none" : x >= full ? "full" : x >= near ? "near" : "low";

export const dur = (s) => s >= 60 ? `${Math.floor(s / 60)}分${Math.round(s % 60)}秒` : `${Math.round(s)}秒`;

// A time in the halls' time zone, whatever the operator's machine says.
export const fmt = (iso, timeZone) => iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false, timeZone}) : "—";

// A compact time for a one-line list cell, in the halls' time zone: 09:05:12 today, 3/2 09:05 this
// year, 2025/3/2 09:05 before.
export function fmtShort(iso, timeZone, now = new Date()) {
  if (!iso) return "—";
  const parts = (d) => Object.fromEntries(new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", year: "numeric",
    month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(d).map((p) => [p.type, p.value]));
  const t = parts(new Date(iso)), today = parts(now);
  if (t.year === today.year && t.month === today.month && t.day === today.day) return `${t.hour}:${t.minute}:${t.second}`;
  return `${t.year === today.year ? "" : t.year + "/"}${t.month}/${t.day} ${t.hour}:${t.minute}`;
}

// Today's date in the halls' time zone, as YYYY-MM-DD.
export const hallToday = (timeZone, now = new Date()) => new Intl.DateTimeFormat("en-CA", {timeZone, year: "numeric",
  month: "2-digit", day: "2-digit"}).format(now);

// A YYYY-MM-DD date n days later (earlier for n < 0), calendar arithmetic only.
export const addDays = (iso, n) => new Date(Date.parse(iso + "T00:00:00Z") + n * 86400000).toISOString().slice(0, 10);

// "2026-03-02T10:00" typed in a form -> ISO 8601 with the halls' UTC offset at that moment.
export function withHallOffset(local, timeZone) {
  const full = local.length === 16 ? local + ":00" : local;  // a datetime-local field with step=1 has seconds
  const guess = new Date(full + "Z");
  const parts = new Intl.DateTimeFormat("en-US", {timeZone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"}).formatToParts(guess);
  const get = (t) => Number(parts.find((p) => p.type === t).value);
  const minutes = Math.round((Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) - guess.getTime()) / 60000);
  const abs = Math.abs(minutes), pad = (n) => String(n).padStart(2, "0");
  return `${full}${minutes >= 0 ? "+" : "-"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// n days from now in the halls' local time, as a datetime-local field's value.
export function localInDays(n, timeZone, now = Date.now()) {
  const t = new Date(now + n * 86400000);
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {timeZone, hourCycle: "h23", year: "numeric",
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"}).formatToParts(t).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// Quick ranges in the halls' calendar: today, this week (from Monday), this month, last month,
// the last 91 days, the last 365 days.
export function presetRange(kind, today) {
  if (kind === "week") return [addDays(today, -((new Date(today + "T00:00:00Z").getUTCDay() + 6) % 7)), today];
  if (kind === "month") return [today.slice(0, 8) + "01", today];
  if (kind === "last-month") { const end = addDays(today.slice(0, 8) + "01", -1); return [end.slice(0, 8) + "01", end]; }
  if (kind === "quarter") return [addDays(today, -90), today];
  if (kind === "year") return [addDays(today, -364), today];
  return [today, today];
}

// Repeats: alerts of the same window, type and reason, each started within ``minutes`` of the next
// newer one, form one group headed by the newest. ``sorted``: newest first. Returns event id ->
// {key (the head's id), member (not the head), size (the head's: how many in the group)}.
export function groups(sorted, minutes) {
  const gap = (minutes || 0) * 60000, out = new Map(), last = new Map();
  for (const a of sorted) {
    const what = [a.hall_id, a.window_id || "", a.type, a.reason || ""].join("|");
    const prev = last.get(what);
    if (gap && a.window_id && prev && Date.parse(prev.started_at) - Date.parse(a.started_at) <= gap) {
      const head = out.get(out.get(prev.event_id).key);
      out.set(a.event_id, {key: head.key, member: true, size: 0});
      head.size += 1;
    } else {
      out.set(a.event_id, {key: a.event_id, member: false, size: 1});
    }
    last.set(what, a);
  }
  return out;
}

// "08:30-12:00, 13:30-17:30" -> [{start, end}], or an Error in words.
export function parsePeriods(text) {
  const parts = text.split(/[,，;；]\s*|\s+(?=\d)/).map((x) => x.trim()).filter(Boolean);
  if (!parts.length) throw new Error("请填写时段，如 08:30-12:00");
  return parts.map((p) => {
    const m = p.match(/^(\d{1,2}):(\d{2})\s*[-–~～至]\s*(\d{1,2}):(\d{2})$/);
    if (!m) throw new Error(`时段“${p}”格式应为 08:30-12:00`);
    const start = `${m[1].padStart(2, "0")}:${m[2]}`, end = `${m[3].padStart(2, "0")}:${m[4]}`;
    if (end <= start) throw new Error(`时段“${p}”的结束时间须晚于开始时间`);
    if (start > "23:59" || end > "24:00" || m[2] > "59" || m[4] > "59") throw new Error(`时段“${p}”不是有效时间`);
    return {start, end};
  });
}

// The evidence overlay's frame shown at video time t: the latest at or before it.
export function overlayFrameAt(overlay, t) {
  const frames = overlay.frames || [];
  let lo = 0, hi = frames.length - 1, found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid].t <= t + 1e-3) { found = frames[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}
