// The console's pure helpers (alerts/console/util.js), run by `node --test` (tests/test_console_js.py).
import assert from "node:assert/strict";
import {test} from "node:test";

import {STALE, TONES, addDays, ageText, dur, fmtShort, groups, hallToday, history, nearestVertex, percent, shareClass, toneOf, latestOnly, localInDays, overlayFrameAt, parsePeriods, presetRange,
  withHallOffset} from "../../alerts/console/util.js";

test("dates move by calendar days, across months and leap days", () => {
  assert.equal(addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(addDays("2028-02-28", 1), "2028-02-29");
  assert.equal(addDays("2026-12-31", 1), "2027-01-01");
});

test("a typed local time gets the halls' offset, whatever zone the machine is in", () => {
  assert.equal(withHallOffset("2026-03-02T09:00", "Asia/Shanghai"), "2026-03-02T09:00:00+08:00");
  assert.equal(withHallOffset("2026-07-01T09:00", "America/Los_Angeles"), "2026-07-01T09:00:00-07:00");
  assert.equal(withHallOffset("2026-01-15T09:00", "America/Los_Angeles"), "2026-01-15T09:00:00-08:00");
  assert.equal(withHallOffset("2026-03-02T09:00:07", "Asia/Shanghai"), "2026-03-02T09:00:07+08:00");  // step=1 fields
});

test("today and n days ahead are the halls' dates", () => {
  const now = Date.parse("2026-03-01T17:30:00Z");  // already 01:30 on the 2nd in Shanghai
  assert.equal(hallToday("Asia/Shanghai", new Date(now)), "2026-03-02");
  assert.equal(hallToday("UTC", new Date(now)), "2026-03-01");
  assert.equal(localInDays(3, "Asia/Shanghai", now), "2026-03-05T01:30");
});

test("quick ranges: this week from Monday, this month, last month, a quarter", () => {
  assert.deepEqual(presetRange("week", "2026-03-04"), ["2026-03-02", "2026-03-04"]);  // a Wednesday
  assert.deepEqual(presetRange("week", "2026-03-08"), ["2026-03-02", "2026-03-08"]);  // a Sunday
  assert.deepEqual(presetRange("month", "2026-03-04"), ["2026-03-01", "2026-03-04"]);
  assert.deepEqual(presetRange("last-month", "2026-03-04"), ["2026-02-01", "2026-02-28"]);
  assert.deepEqual(presetRange("quarter", "2026-03-04"), ["2025-12-04", "2026-03-04"]);
  assert.deepEqual(presetRange("day", "2026-03-04"), ["2026-03-04", "2026-03-04"]);
});

test("durations read as minutes and seconds", () => {
  assert.equal(dur(42.4), "42秒");
  assert.equal(dur(125), "2分5秒");
});

test("repeats of one window and reason within the gap form one group headed by the newest", () => {
  const at = (m) => new Date(Date.UTC(2026, 2, 2, 1, m)).toISOString();
  const a = (id, m, extra = {}) => ({event_id: id, hall_id: "h", window_id: "w1", type: "empty_post", reason: "left_post", started_at: at(m), ...extra});
  const newestFirst = [a("late", 40), a("r2", 4), a("w2", 3, {window_id: "w2"}), a("r1", 2), a("r0", 0),
    a("hall", 1, {window_id: null})];
  const g = groups(newestFirst, 10);
  assert.deepEqual(g.get("r2"), {key: "r2", member: false, size: 3});
  assert.deepEqual([g.get("r1").key, g.get("r0").key], ["r2", "r2"]);
  assert.equal(g.get("late").size, 1);  // 36 minutes after r2: apart
  assert.equal(g.get("w2").key, "w2");  // another window
  assert.equal(g.get("hall").key, "hall");  // no window: never grouped
  assert.equal(groups(newestFirst, 0).get("r1").key, "r1");  // grouping off
});

test("periods parse in the forms people type, and bad ones are told in words", () => {
  assert.deepEqual(parsePeriods("8:30-12:00，13:30~17:30"), [{start: "08:30", end: "12:00"}, {start: "13:30", end: "17:30"}]);
  assert.deepEqual(parsePeriods("22:00-24:00"), [{start: "22:00", end: "24:00"}]);
  assert.throws(() => parsePeriods("12:00-08:30"), /结束时间须晚于开始时间/);
  assert.throws(() => parsePeriods("morning"), /格式应为/);
  assert.throws(() => parsePeriods(""), /请填写时段/);
});

test("only the latest of quick requests is used; earlier answers reject with STALE", async () => {
  const latest = latestOnly();
  let release;
  const first = latest(new Promise((resolve) => { release = resolve; }));
  const second = latest(Promise.resolve("second"));
  release("first");
  await assert.rejects(first, (e) => e === STALE);
  assert.equal(await second, "second");
});

test("the overlay frame shown is the latest at or before the video time", () => {
  const overlay = {frames: [{t: 0}, {t: 0.2}, {t: 0.4}]};
  assert.equal(overlayFrameAt(overlay, 0.3).t, 0.2);
  assert.equal(overlayFrameAt(overlay, 0.4).t, 0.4);
  assert.equal(overlayFrameAt(overlay, -1), null);
});

test("a list cell's time is short: the time today, the date this year, the year before", () => {
  const now = new Date("2026-03-02T12:00:00+08:00");
  assert.equal(fmtShort("2026-03-02T09:05:12+08:00", "Asia/Shanghai", now), "09:05:12");
  assert.equal(fmtShort("2026-03-01T17:00:00Z", "Asia/Shanghai", now), "01:00:00");  // the halls' today, not UTC's
  assert.equal(fmtShort("2026-03-01T08:00:00Z", "Asia/Shanghai", now), "3/1 16:00");
  assert.equal(fmtShort("2026-01-15T09:05:00+08:00", "Asia/Shanghai", now), "1/15 09:05");
  assert.equal(fmtShort("2025-12-31T23:59:00+08:00", "Asia/Shanghai", now), "2025/12/31 23:59");
  assert.equal(fmtShort(null, "Asia/Shanghai", now), "—");
});

test("a stale picture's age in words", () => {
  assert.equal(ageText(42), "42 秒前");
  assert.equal(ageText(600), "10 分钟前");
  assert.equal(ageText(7200), "2 小时前");
  assert.equal(ageText(3 * 86400), "3 天前");
  assert.equal(ageText(null), "暂无画面");
});

test("shares as percentages with their tone", () => {
  assert.equal(percent(0.9234), "92.3%");
  assert.equal(percent(1, 0), "100%");
  assert.equal(percent(null), "—");
  assert.equal(shareClass(1, 1, 0.95), "full");
  assert.equal(shareClass(0.96, 1, 0.95), "near");
  assert.equal(shareClass(0.5, 1, 0.95), "low");
  assert.equal(shareClass(null, 1, 0.95), "none");
});

test("three tones: a new alert, an escalated one, citizens left waiting", () => {
  assert.equal(toneOf({type: "empty_post", escalations: 0}), "alert");
  assert.equal(toneOf({type: "empty_post", escalations: 1}), "escalated");
  assert.equal(toneOf({type: "citizen_waiting", escalations: 0}), "waiting");
  assert.equal(toneOf(null), "alert");  // the reminder of alerts still unacknowledged
  assert.notDeepEqual(TONES.alert, TONES.escalated);
  assert.notDeepEqual(TONES.escalated, TONES.waiting);
});

test("the vertex under the pointer, and an undo history of snapshots", () => {
  const pts = [[0, 0], [100, 0], [100, 100]];
  assert.equal(nearestVertex(pts, [98, 3], 10), 1);
  assert.equal(nearestVertex(pts, [50, 50], 10), -1);
  assert.equal(nearestVertex([[0, 0], [6, 0]], [4, 0], 10), 1);  // the nearest of two within reach
  const undo = history(2);
  const state = {points: [[1, 2]]};
  undo.push(state);
  state.points.push([3, 4]);  // a later change does not reach the snapshot
  undo.push(state);
  undo.push({points: []});  // beyond the limit: the oldest goes
  assert.equal(undo.size, 2);
  assert.deepEqual(undo.pop(), {points: []});
  assert.deepEqual(undo.pop(), {points: [[1, 2], [3, 4]]});
  assert.equal(undo.pop(), null);
});
