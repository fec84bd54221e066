// The lobby: the start in the visitor's own time zone, a countdown to the room's opening,
// a camera and microphone check with a choice of devices (remembered for the room), and a
// "Join now" that, pressed early, waits for the room and enters by itself when it opens.
// Works without it too: the server renders the organiser's time and refuses early entry.

import { choices, fillPickers, remember } from "./room-devices.js";

function lobby() {
  const phase = document.getElementById("phase");
  const UNREACHABLE = "The meeting service is not reachable right now; this page will keep trying.";
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const el of document.querySelectorAll("time.local-time")) {
    el.textContent = "Your time: " + format.format(new Date(el.getAttribute("datetime")));
  }

  function spell(ms) {
    const minutes = Math.max(0, Math.ceil(ms / 60000));
    const days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60);
    const parts = [];
    if (days) parts.push(days + (days === 1 ? " day" : " days"));
    if (hours) parts.push(hours + (hours === 1 ? " hour" : " hours"));
    const rest = minutes % 60;
    if (rest || !parts.length) parts.push(rest + (rest === 1 ? " minute" : " minutes"));
    return parts.join(" ");
  }

  function tick() {
    if (!phase || phase.dataset.phase !== "early") return;
    const opens = new Date(phase.dataset.opens), start = new Date(phase.dataset.start);
    const now = Date.now();
    if (now >= opens.getTime()) {
      phase.dataset.phase = "open";
      phase.textContent = phase.dataset.service === "down" ? UNREACHABLE : "The meeting room is open.";
      if (waiting) setTimeout(enter, 1500);  // a little later: the server's clock decides
      return;
    }
    phase.textContent = "The meeting room opens in " + spell(opens - now) +
      " (the meeting starts in " + spell(start - now) + ").";
    setTimeout(tick, 1000);
  }
  let waiting = false;
  const form = document.querySelector("form.enter");
  function enter() {
    waiting = false;
    form.requestSubmit();
  }
  if (form) form.addEventListener("submit", (e) => {
    if (!phase || phase.dataset.phase !== "early") return;
    // A passcode is checked by the server at once, so a wrong one is said now, not at the start.
    if (form.querySelector("#passcode")) return;
    e.preventDefault();
    waiting = true;
    const button = document.getElementById("enter");
    button.textContent = "Waiting for the room to open…";
    button.disabled = true;
    document.getElementById("waiting").hidden = false;
  });
  tick();

  // While no meeting server answers, ask the server again every few seconds (a GET of this
  // same lobby) and show its state, so the page tells when the room can be entered.
  function watchService() {
    if (!phase || phase.dataset.service !== "down") return;
    setTimeout(async () => {
      try {
        const answer = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html")
          .getElementById("phase");
        if (fresh && fresh.dataset.service !== "down") {
          phase.dataset.service = fresh.dataset.service;
          if (phase.dataset.phase === "open") phase.textContent = fresh.textContent.trim();
        }
      } catch (e) { /* the server itself is unreachable: keep trying */ }
      watchService();
    }, 5000);
  }
  watchService();

  const pickers = {
    camera: document.getElementById("pick-camera"),
    microphone: document.getElementById("pick-microphone"),
    speaker: document.getElementById("pick-speaker"),
  };
  for (const [id, key] of [["use-camera", "useCamera"], ["use-microphone", "useMicrophone"]]) {
    const box = document.getElementById(id);
    if (!box) continue;
    box.checked = choices()[key] !== false;
    box.addEventListener("change", () => remember({ [key]: box.checked }));
  }
  const restart = () => { if (stream) { check.click(); check.click(); } };
  if (pickers.camera) fillPickers(pickers, restart).catch(() => {});

  const check = document.getElementById("check");
  const status = document.getElementById("check-status");
  if (!check) return;
  let stream = null;
  check.addEventListener("click", async () => {
    if (stream) {
      stream.getTracks().forEach((t) => t.stop());
      stream = null;
      document.getElementById("preview").hidden = true;
      document.getElementById("level").hidden = true;
      check.textContent = "Test camera and microphone";
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = "This browser cannot use a camera here (the page needs https).";
      return;
    }
    try {
      const wanted = choices();
      const want = (id) => (id ? { deviceId: { ideal: id } } : true);
      stream = new MediaStream();
      for (const [kind, id] of [["audio", wanted.microphone], ["video", wanted.camera]]) {
        try {
          const got = await navigator.mediaDevices.getUserMedia({ [kind]: want(id) });
          got.getTracks().forEach((t) => stream.addTrack(t));
        } catch (e) { /* reported below */ }
      }
    } catch (e) {
      stream = null;
    }
    if (!stream || !stream.getTracks().length) {
      stream = null;
      status.textContent = "No camera or microphone is allowed. You can still join to watch and listen.";
      return;
    }
    fillPickers(pickers, restart).catch(() => {});
    const preview = document.getElementById("preview");
    preview.srcObject = stream;
    preview.hidden = false;
    const meter = document.getElementById("level");
    meter.hidden = false;
    status.textContent = !stream.getVideoTracks().length
      ? "No camera: the others will hear you. The bar should move when you speak."
      : !stream.getAudioTracks().length
        ? "No microphone: the others will see you, not hear you."
        : "You should see yourself, and the bar should move when you speak.";
    check.textContent = "Stop the test";
    if (!stream.getAudioTracks().length) return;
    const audio = new AudioContext();
    const analyser = audio.createAnalyser();
    audio.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    (function level() {
      if (!stream) { audio.close(); return; }
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
      meter.value = peak;
      requestAnimationFrame(level);
    })();
  });
}
lobby();
