// The supervision-centre console: ES modules, no build step, no CDN. Each tab is a module; what
// they share (the user, what they may do, names) is session.js; pages are lit-html templates, so
// every text is escaped by construction.
import {setUpAbsences, loadAbsences} from "./absences.js";
import {loadAlerts, setUpAlerts} from "./alerts.js";
import {loadCameras} from "./cameras.js";
import {clearDetail, setUpDetail} from "./detail.js";
import {loadInstall, setUpInstall} from "./install.js";
import {loadReport, setUpReport} from "./report.js";
import {loadRosters, setUpRosters} from "./rosters.js";
import {$, api, can, hallName, start, state} from "./session.js";
import {loadShiftNotes, setUpShiftNotes} from "./shifts.js";
import {setUpSound} from "./sound.js";
import {loadStats, setUpStats} from "./stats.js";
import {loadRecordings, setUpRecordings} from "./recordings.js";
import {loadTickets, setUpTickets} from "./tickets.js";

const TABS = {
  alerts: null, review: null, cameras: loadCameras, absences: loadAbsences, rosters: loadRosters,
  report: loadReport, stats: loadStats, shifts: loadShiftNotes, install: loadInstall,
  tickets: loadTickets, recordings: loadRecordings,
};
const WIDE = ["cameras", "absences", "rosters", "report", "stats", "shifts", "install", "tickets", "recordings"];  // no alert detail beside them
const ROLES = {operator: "监控值班员", discipline_officer: "纪检人员", admin: "管理员", hall_manager: "大厅负责人", wall: "大屏"};

function tabs() {
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("nav button").forEach((x) => x.classList.toggle("active", x === b));
    for (const tab of Object.keys(TABS)) $(`tab-${tab}`).classList.toggle("hidden", tab !== b.dataset.tab);
    document.querySelector("main").classList.toggle("wide", WIDE.includes(b.dataset.tab));
    clearDetail();  // a tab starts without the previous tab's alert open
    TABS[b.dataset.tab]?.();
  }));
}

await start();
const {me} = state;
// Tabs this user may not open are not shown (the server refuses them all the same).
document.querySelectorAll("nav button[data-need]").forEach((b) => b.classList.toggle("hidden", !can(b.dataset.need)));
$("logout").addEventListener("click", async () => { await api("/api/logout", {method: "POST"}); location.href = "/login"; });
document.addEventListener("alerts-changed", loadAlerts);
setUpDetail(me.hall_id);
setUpAbsences();
setUpReport();
setUpStats();
setUpTickets();
if (can("request_video")) setUpRecordings();
setUpShiftNotes();
setUpRosters();
setUpInstall();
setUpSound();
tabs();
// The user's name shows once every tab is wired: a click from then on is never lost.
$("user").textContent = `${me.display_name || me.username}（${ROLES[me.role]} · ${me.hall_id ? hallName(me.hall_id) : me.region_name}）`;
$("user").title = $("user").textContent;
await setUpAlerts();
