// The alert sound: three tones (a new alert; an escalated one, rising; citizens left waiting,
// three short beeps), a mute switch and a volume kept in this browser, and a way to hear them.
import {$} from "./session.js";
import {TONES, toneOf} from "./util.js";

const KEY = "hallwatch.sound";
const settings = {muted: false, volume: 0.6, ...JSON.parse(localStorage.getItem(KEY) || "{}")};
let context = null;

function save() {
  localStorage.setItem(KEY, JSON.stringify(settings));
  $("sound-toggle").textContent = settings.muted ? "静音" : "声音";
  $("sound-toggle").closest(".sound").classList.toggle("muted", settings.muted);
}

export function play(kind, trial = false) {
  if ((settings.muted && !trial) || settings.volume <= 0) return;
  try {
    context = context || new AudioContext();
    let at = context.currentTime;
    for (const [frequency, seconds] of TONES[kind] || TONES.alert) {
      if (frequency) {
        const osc = context.createOscillator(), gain = context.createGain();
        osc.frequency.value = frequency;
        gain.gain.value = settings.volume;
        osc.connect(gain).connect(context.destination);
        osc.start(at);
        osc.stop(at + seconds);
      }
      at += seconds;
    }
  } catch (e) { /* no audio device */ }
}

// The tone an alert calls for (see util.js toneOf).
export const sound = (alert) => play(toneOf(alert));

export function setUpSound() {
  $("sound-volume").value = String(Math.round(settings.volume * 100));
  $("sound-toggle").addEventListener("click", () => { settings.muted = !settings.muted; save(); });
  $("sound-volume").addEventListener("input", (e) => { settings.volume = Number(e.target.value) / 100; save(); });
  $("sound-volume").addEventListener("change", () => {  // the three tones at the new volume, even while muted
    ["alert", "escalated", "waiting"].forEach((kind, i) => setTimeout(() => play(kind, true), i * 900));
  });
  save();
}
