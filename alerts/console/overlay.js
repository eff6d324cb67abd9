// The evidence overlay as data (hallwatch.evidence-overlay.v1), drawn on a canvas over the playing
// raw clip: zones, boxes (red: the violation's people) with track ids, the decisive pairs with
// their distances, and each analysed frame's time. The same data the annotated export burns in.
import {api} from "./session.js";
import {overlayFrameAt} from "./util.js";

function drawOverlay(canvas, video, overlay, show) {
  const w = video.clientWidth, h = video.clientHeight;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  canvas.dataset.people = "0";
  if (!show || !w || !h) return;
  const sx = w / overlay.size[0], sy = h / overlay.size[1];
  const font = Math.max(11, Math.round(h / 36));
  ctx.font = `${font}px "Noto Sans CJK SC", sans-serif`;
  ctx.textBaseline = "top";
  const label = (text, x, y, colour) => {  // canvas text: drawn, never parsed as markup
    const width = ctx.measureText(text).width + 6;
    x = Math.max(0, Math.min(w - width, x)); y = Math.max(0, Math.min(h - font - 4, y));
    ctx.fillStyle = "rgba(0,0,0,0.75)"; ctx.fillRect(x, y, width, font + 4);
    ctx.fillStyle = colour; ctx.fillText(text, x + 3, y + 2);
  };
  const path = (polygon) => {
    ctx.beginPath();
    polygon.forEach(([x, y], i) => (i ? ctx.lineTo(x * sx, y * sy) : ctx.moveTo(x * sx, y * sy)));
    ctx.closePath();
  };
  for (const zone of overlay.zones || []) {
    path(zone.polygon);
    ctx.globalAlpha = 0.18; ctx.fillStyle = zone.colour; ctx.fill(); ctx.globalAlpha = 1;
    ctx.lineWidth = zone.violation ? 4 : 2; ctx.strokeStyle = zone.violation ? "#ff0000" : zone.colour; ctx.stroke();
  }
  for (const zone of overlay.zones || []) {
    const xs = zone.polygon.map((p) => p[0] * sx), ys = zone.polygon.map((p) => p[1] * sy);
    label(zone.label, Math.min(...xs) + 3, Math.min(...ys) + 3, zone.colour);
  }
  const frame = overlayFrameAt(overlay, video.currentTime);
  if (!frame) return;
  const involved = new Set(overlay.involved || []), feet = {};
  ctx.lineWidth = 2;
  for (const [id, x1, y1, x2, y2] of frame.people) {
    const colour = involved.has(id) ? "#ff0000" : "#00ff00";
    ctx.strokeStyle = colour; ctx.strokeRect(x1 * sx, y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy);
    feet[id] = [(x1 + x2) / 2 * sx, y2 * sy];
    label(`#${id}`, x1 * sx, y1 * sy - font - 6, colour);
  }
  for (const pair of overlay.pairs || []) {
    const [a, b] = pair.track_ids;
    if (!feet[a] || !feet[b]) continue;
    ctx.strokeStyle = "#ff0000"; ctx.lineWidth = 3;
    ctx.beginPath(); ctx.moveTo(...feet[a]); ctx.lineTo(...feet[b]); ctx.stroke();
    label(`${pair.distance_m.toFixed(2)} m`, (feet[a][0] + feet[b][0]) / 2, (feet[a][1] + feet[b][1]) / 2 - font - 8, "#ff0000");
  }
  label(frame.at, 6, h - font - 10, "#ffffff");
  canvas.dataset.people = String(frame.people.length);
  canvas.dataset.t = String(frame.t);
}

// Attach the overlay at ``url`` to ``video``: redrawn on every presented frame, seek and resize.
export async function attachOverlay(video, canvas, url, toggle) {
  let overlay;
  try { overlay = await api(url); } catch (e) { return; }
  const redraw = () => drawOverlay(canvas, video, overlay, !toggle || toggle.checked);
  const onFrame = () => { redraw(); video.requestVideoFrameCallback?.(onFrame); };
  video.requestVideoFrameCallback?.(onFrame);
  for (const event of ["loadeddata", "seeked", "timeupdate", "pause"]) video.addEventListener(event, redraw);
  window.addEventListener("resize", redraw);
  toggle?.addEventListener("change", redraw);
  redraw();
}
