// The playback page of a recording made from a meeting: every track is its own file, and
// one master clock drives them all. Each clip (a track) plays while the clock is within
// [start, end), at clock - start; a clip that drifts more than DRIFT seconds from it is
// moved back. The clock waits while a clip it needs is still loading or seeking, as one
// player would, so a slow device sees a pause, not clips seeked back again and again; a clip
// it waits for that the browser has stopped preparing is asked for its frame (`stalled`).
// Videos sit in their person's tile; the browser mixes the audio clips. A tile
// whose picture is far larger than the others' (a shared screen) is featured: full width.
const DRIFT = 0.3;
const TICK_MS = 250;
const timeline = JSON.parse(document.getElementById("timeline").textContent);
const stage = document.getElementById("stage");
const button = document.getElementById("play");
const seek = document.getElementById("seek");
const clock = document.getElementById("clock");
const clips = timeline.clips.map((clip) => ({ ...clip, el: stage.querySelector(`[data-clip="${clip.id}"]`) }))
  .filter((clip) => clip.el);
const tiles = [...stage.querySelectorAll(".play-tile")];

let playing = false;
let base = 0; // the clock's position when it last started or was moved
let since = 0; // performance.now() at that moment
let waiting = false; // a clip the clock needs is not ready: the clock holds

function now() {
  const t = playing && !waiting ? base + (performance.now() - since) / 1000 : base;
  return Math.min(t, timeline.duration);
}

function moveTo(t) {
  base = Math.max(0, Math.min(t, timeline.duration));
  since = performance.now();
  sync(true);
}

function text(seconds) {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

// A browser may fetch a paused clip's data and still not decode it (Chromium, for a hidden
// video on a busy machine: ready state "metadata", nothing more being fetched), and such a clip
// never becomes ready by itself; the clock waiting for it would wait for ever. A seek to where
// the clock holds asks the browser for that frame.
function stalled(el) {
  return el.paused && !el.seeking && el.readyState < HTMLMediaElement.HAVE_FUTURE_DATA
    && el.networkState === HTMLMediaElement.NETWORK_IDLE;
}

function sync(jump = false) {
  const t = now();
  if (playing && t >= timeline.duration) { playing = false; base = timeline.duration; }
  const behind = playing && clips.some((c) => t >= c.start && t < c.end
    && (c.el.seeking || c.el.readyState < HTMLMediaElement.HAVE_FUTURE_DATA));
  if (behind !== waiting) { base = t; since = performance.now(); waiting = behind; }
  for (const clip of clips) {
    const inside = t >= clip.start && t < clip.end;
    const local = t - clip.start;
    if (clip.kind === "video") clip.el.hidden = !inside;
    if (!inside) { if (!clip.el.paused) clip.el.pause(); continue; }
    if (jump || Math.abs(clip.el.currentTime - local) > DRIFT || (waiting && stalled(clip.el))) {
      clip.el.currentTime = local;
    }
    const running = playing && !waiting;
    if (running && clip.el.paused) clip.el.play().catch(() => {});
    if (!running && !clip.el.paused) clip.el.pause();
  }
  feature();
  button.textContent = playing ? "Pause" : "Play";
  if (document.activeElement !== seek) seek.value = String(t);
  clock.textContent = `${text(t)} / ${text(timeline.duration)}`;
}

function area(tile) {
  const video = [...tile.querySelectorAll("video")].find((v) => !v.hidden);
  return video ? video.videoWidth * video.videoHeight : 0;
}

function feature() {
  const areas = tiles.map(area);
  const largest = Math.max(0, ...areas);
  const others = areas.filter((a) => a !== largest);
  // One picture at least twice the area of every other one showing (a screen among cameras).
  const big = largest > 0 && others.length === tiles.length - 1 && others.length > 0
    && others.every((a) => a * 2 < largest) && others.some((a) => a > 0);
  const featured = big ? areas.indexOf(largest) : -1;
  tiles.forEach((tile, i) => tile.classList.toggle("featured", i === featured));
  const columns = featured >= 0 ? Math.max(1, tiles.length - 1) : timeline.columns;
  stage.style.gridTemplateColumns = `repeat(${columns}, 1fr)`;
  if (featured >= 0) tiles[featured].style.order = "-1";
  tiles.forEach((tile, i) => { if (i !== featured) tile.style.order = String(i); });
}

button.addEventListener("click", () => {
  if (playing) { base = now(); playing = false; sync(); return; }
  if (now() >= timeline.duration) base = 0;
  playing = true;
  since = performance.now();
  sync(true);
});
seek.addEventListener("input", () => moveTo(Number(seek.value)));
setInterval(sync, TICK_MS);
sync(true);
button.disabled = false; // ready: the button works from now on
