// 安装调试 (administrators): draw zones and place calibration points on a camera's live snapshot,
// preview the 1 m floor grid, and generate the camera's config section (validated by the server).
import {html, nothing, render, svg} from "./vendor/lit-html.js";
import {ZONE_COLOURS} from "./cameras.js";
import {adviceText} from "./errors.js";
import {$, api, can, hallName, state} from "./session.js";
import {history, nearestVertex} from "./util.js";

const install = {cameras: [], zones: [], current: [], image: [], floor: [], grid: [], people: [], yaml: ""};
const undo = history();
const GRAB_PX = 12;  // how near (screen pixels) a press must be to move or delete a vertex
// The vertex being dragged (-1: none); whether it moved; whether the click that follows a press on a
// vertex is to be ignored (set on release, so it holds however late the browser sends the click).
let dragging = -1, dragged = false, swallowClick = false;

// What the drawing holds (zones, the one being drawn, calibration points), for undo.
const drawing = () => ({zones: install.zones, current: install.current, image: install.image, floor: install.floor});

function change(mutate) {  // every edit is undoable
  undo.push(drawing());
  mutate();
  $("i-undo").disabled = false;
  install.yaml = "";
  $("i-save").disabled = true;
  zoneChoices();
  drawInstall();
}

function zoneChoices() {
  render(html`<option value="">修改已有区域…</option>${install.zones.map((z) =>
    html`<option value=${z.id}>${z.name || z.id}（${state.labels.zone_kinds[z.kind] || z.kind}）</option>`)}`, $("i-zone-edit"));
  $("i-zone-edit").value = "";
}

// A point of the picture under the pointer, in image pixels, and the grab radius in image pixels.
function imagePoint(e) {
  const img = $("i-shot"), box = img.getBoundingClientRect(), scale = img.naturalWidth / box.width;
  return [[Math.round((e.clientX - box.left) * scale), Math.round((e.clientY - box.top) * scale)], GRAB_PX * scale];
}

const calibrating = () => document.querySelector("input[name=i-mode]:checked").value === "calib";

function installCamera() { return install.cameras.find((c) => c.camera_id === $("i-camera").value); }

function drawInstall() {
  const img = $("i-shot"), w = img.naturalWidth || 800, h = img.naturalHeight || 600;
  const poly = (pts, colour, closed) => !pts.length ? nothing : closed
    ? svg`<polygon points=${pts.map((p) => p.join(",")).join(" ")} fill="none" stroke=${colour} stroke-width=${w / 300}/>`
    : svg`<polyline points=${pts.map((p) => p.join(",")).join(" ")} fill="none" stroke=${colour} stroke-width=${w / 300}/>`;
  $("i-svg").setAttribute("viewBox", `0 0 ${w} ${h}`);
  render(svg`${install.grid.map((line) => poly(line, "rgba(255,255,255,0.8)", false))}
    ${install.zones.map((z) => poly(z.polygon, ZONE_COLOURS[z.kind], true))}${poly(install.current, "#fff", install.current.length > 2)}
    ${install.current.map((p) => svg`<circle class="vertex" cx=${p[0]} cy=${p[1]} r=${w / 150} fill="#fff" stroke="#000" stroke-width=${w / 600}/>`)}
    ${install.image.map((p, i) => svg`<circle cx=${p[0]} cy=${p[1]} r=${w / 120} fill="#e91e63"/><text x=${p[0] + w / 80} y=${p[1]}
      fill="#fff" font-size=${w / 45}>${i + 1}: (${install.floor[i].join(", ")}) m</text>`)}
    ${install.people.map((p) => {
      const [x1, y1, x2, y2] = p.box, [fx, fy] = p.foot;
      const where = p.floor_m ? ` (${p.floor_m[0].toFixed(1)}, ${p.floor_m[1].toFixed(1)}) m` : "";
      return svg`<rect class="person" x=${x1} y=${y1} width=${x2 - x1} height=${y2 - y1} fill="none" stroke="#4fc3f7" stroke-width=${w / 400}/>
        <circle cx=${fx} cy=${fy} r=${w / 200} fill="#ff1744"/>
        <text class="person-floor" x=${fx + w / 150} y=${fy + w / 60} fill="#4fc3f7" font-size=${w / 55} paint-order="stroke" stroke="#000" stroke-width=${w / 500}>#${p.id}${where}</text>`;
    })}`, $("i-svg"));
}

async function loadPeople(c) {
  try { install.people = (await api(`/api/install/${encodeURIComponent(c.camera_id)}/people`)).people; }
  catch (e) { install.people = []; }
  drawInstall();
}

export async function loadInstall() {
  install.cameras = await api("/api/cameras");
  render(html`${install.cameras.map((c) => html`<option value=${c.camera_id}>${c.name || c.camera_id} · ${hallName(c.hall_id)}</option>`)}`, $("i-camera"));
  selectInstallCamera();
}

function selectInstallCamera() {
  const c = installCamera();
  if (!c) return;
  Object.assign(install, {zones: c.zones.map((z) => ({...z})), current: [], image: [], floor: [], grid: [], people: [], yaml: ""});
  $("i-save").disabled = true;
  while (undo.pop());
  $("i-undo").disabled = true;
  zoneChoices();
  loadPeople(c);
  const hall = state.registry.halls.find((h) => h.id === c.hall_id);
  render(html`<option value="">（无）</option>${(hall ? hall.windows : []).map((w) => html`<option value=${w.id}>${w.name || w.id}</option>`)}`, $("i-zone-window"));
  $("i-shot").onload = drawInstall;
  $("i-shot").onerror = () => { $("i-msg").textContent = "该摄像头暂无画面（流水线运行后每隔数秒更新）"; };
  $("i-shot").src = `/api/cameras/${encodeURIComponent(c.camera_id)}/snapshot?t=${Date.now()}`;
}

const CHANNELS = {generic: "Webhook（JSON）", dingtalk: "钉钉机器人", wecom: "企业微信机器人"};

async function tryChannels() {
  $("n-test").disabled = true;
  render(html`<tr><td colspan="5">发送中…</td></tr>`, $("n-results"));
  try {
    const {channels} = await api("/api/notifications/test", {method: "POST", body: "{}"});
    render(channels.length ? html`${channels.map((c) => html`<tr><td>${CHANNELS[c.format] || c.format}</td><td>${c.target}</td>
      <td class=${c.ok ? "ok" : "failed"}>${c.ok ? "成功" : "失败"}</td>
      <td>${c.status ? `HTTP ${c.status}` : "无回应"}${c.error ? ` · ${c.error}` : ""}${c.answer ? html`<br><small>${c.answer}</small>` : ""}</td>
      <td>${c.ms} 毫秒</td></tr>`)}` : html`<tr><td colspan="5">配置文件中没有通知渠道（alerts.webhooks）。</td></tr>`, $("n-results"));
  } catch (err) {
    render(html`<tr><td colspan="5" class="failed">测试失败：${err.message}</td></tr>`, $("n-results"));
  } finally { $("n-test").disabled = false; }
}

export function setUpInstall() {
  if (!can("install")) return;
  $("n-test").addEventListener("click", tryChannels);
  document.querySelector("nav button[data-tab=install]").classList.remove("hidden");
  render(html`${Object.entries(state.labels.zone_kinds).map(([k, v]) => html`<option value=${k}>${v}</option>`)}`, $("i-zone-kind"));
  $("i-camera").addEventListener("change", selectInstallCamera);
  document.querySelectorAll("input[name=i-mode]").forEach((r) => r.addEventListener("change", () => {
    const calib = document.querySelector("input[name=i-mode]:checked").value === "calib";
    $("i-zone-fields").classList.toggle("hidden", calib);
    $("i-calib-fields").classList.toggle("hidden", !calib);
  }));
  const view = document.querySelector(".install-view");
  // Press on a vertex of the zone being drawn and drag it; a press elsewhere adds a point on release.
  view.addEventListener("pointerdown", (e) => {
    swallowClick = false;
    if (e.button !== 0 || calibrating()) return;
    const [p, radius] = imagePoint(e);
    dragging = nearestVertex(install.current, p, radius);
    dragged = false;
    if (dragging >= 0) { undo.push(drawing()); view.setPointerCapture(e.pointerId); e.preventDefault(); }
  });
  view.addEventListener("pointermove", (e) => {
    if (dragging < 0) return;
    install.current = install.current.map((q, i) => i === dragging ? imagePoint(e)[0] : q);
    dragged = true;
    drawInstall();
  });
  view.addEventListener("pointerup", () => {
    if (dragging >= 0 && dragged) { $("i-undo").disabled = false; install.yaml = ""; $("i-save").disabled = true; }
    else if (dragging >= 0) undo.pop();  // a press on a vertex without a move changes nothing
    swallowClick = dragging >= 0;
    dragging = -1;
  });
  view.addEventListener("click", (e) => {
    if (swallowClick) { swallowClick = false; return; }  // the end of a drag, or a press on a vertex
    const [p] = imagePoint(e);
    if (calibrating()) {
      change(() => { install.image = [...install.image, p]; install.floor = [...install.floor, [Number($("i-fx").value), Number($("i-fy").value)]]; });
    } else change(() => { install.current = [...install.current, p]; });
  });
  view.addEventListener("contextmenu", (e) => {  // right-click on a vertex deletes it
    const [p, radius] = imagePoint(e);
    const points = calibrating() ? install.image : install.current;
    const i = nearestVertex(points, p, radius);
    if (i < 0) return;
    e.preventDefault();
    change(() => {
      if (calibrating()) { install.image = install.image.filter((_, k) => k !== i); install.floor = install.floor.filter((_, k) => k !== i); }
      else install.current = install.current.filter((_, k) => k !== i);
    });
  });
  $("i-undo").addEventListener("click", () => {
    const previous = undo.pop();
    if (previous) Object.assign(install, previous);
    $("i-undo").disabled = undo.size === 0;
    zoneChoices();
    drawInstall();
  });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "z" && !$("tab-install").classList.contains("hidden")
        && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) {
      e.preventDefault();
      $("i-undo").click();
    }
  });
  $("i-zone-edit").addEventListener("change", () => {  // an existing zone back into the drawing
    const zone = install.zones.find((z) => z.id === $("i-zone-edit").value);
    if (!zone) return;
    change(() => {
      install.zones = install.zones.filter((z) => z.id !== zone.id);
      install.current = zone.polygon.map((p) => [...p]);
    });
    $("i-zone-id").value = zone.id;
    $("i-zone-kind").value = zone.kind;
    $("i-zone-window").value = zone.window || "";
    install.editing = zone;
    $("i-msg").textContent = `正在修改区域 ${zone.name || zone.id}：拖动顶点移动，右键点击顶点删除，点击画面添加顶点，完成后点“完成区域”`;
  });
  $("i-zone-done").addEventListener("click", () => {
    if (install.current.length < 3) { $("i-msg").textContent = "区域至少需要 3 个顶点"; return; }
    const zone = {...(install.editing || {}), id: $("i-zone-id").value.trim(), kind: $("i-zone-kind").value, polygon: install.current};
    delete zone.window;
    if ($("i-zone-window").value) zone.window = $("i-zone-window").value;
    change(() => {
      install.zones = install.zones.filter((z) => z.id !== zone.id).concat([zone]);
      install.current = [];
    });
    install.editing = null;
  });
  $("i-clear").addEventListener("click", selectInstallCamera);
  $("i-grid").addEventListener("click", async () => {
    try {
      const r = await api(`/api/install/${encodeURIComponent(installCamera().camera_id)}/calibration-preview`,
        {method: "POST", body: JSON.stringify({image: install.image, floor: install.floor})});
      install.grid = r.grid;
      install.people = r.people;  // their floor positions under the calibration being drawn
      $("i-msg").textContent = `各标定点误差（米）：${r.errors_m.map((x) => x.toFixed(3)).join("、")}`;
      drawInstall();
    } catch (err) { $("i-msg").textContent = "标定无效：" + err.message; }
  });
  $("i-section").addEventListener("click", async () => {
    const body = {zones: install.zones};
    if (install.image.length) body.calibration = {image: install.image, floor: install.floor};
    try {
      const r = await api(`/api/install/${encodeURIComponent(installCamera().camera_id)}/section`, {method: "POST", body: JSON.stringify(body)});
      $("i-yaml").value = install.yaml = r.yaml;
      $("i-save").disabled = false;
      $("i-msg").textContent = `配置已通过校验（只含与默认值不同的项）：保存为文件，在配置文件 cameras: 下替换 id 为 ${installCamera().camera_id} 的一项；`
        + "运行中的流水线不会自动读取配置：重启分析该摄像头的流水线进程（python run_pipeline.py --config …，或其 systemd 服务）后生效，"
        + "再重启告警服务以显示新的区域名称。"
        + adviceText(r.advice);
    } catch (err) { $("i-msg").textContent = "配置有误：" + err.message; $("i-save").disabled = true; }
  });
  $("i-save").addEventListener("click", () => {  // the validated section, as a file for the administrator
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([install.yaml], {type: "application/x-yaml"}));
    link.download = `camera-${installCamera().camera_id}.yaml`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
}
