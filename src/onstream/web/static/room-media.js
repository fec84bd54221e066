// What video travels, in both directions. Sending: the camera goes out in simulcast, three
// layers (320x180 at 150 kbit/s, 640x360 at 500 kbit/s, 1280x720 at 1.5 Mbit/s) or the lower
// two on a weak device, so Janus can forward each receiver the one it needs. Receiving
// ("last N"): video of at most N people at once (pinned people, shared screens, whoever
// speaks and spoke lately first, then the tiles in their order on the stage), each in the
// layer that fits its tile, one lower while frames or packets go missing; the others show
// their name until they speak. Audio is always received from everybody (the active speaker
// is found from it, and nobody must go unheard). room.js calls `setUp` once, `videoTrack`
// when it publishes a camera, `heard` when someone speaks and `update` after each layout.

const LAYERS = [
  { rid: "h", height: 720, maxBitrate: 1_500_000 },
  { rid: "m", height: 360, maxBitrate: 500_000 },
  { rid: "l", height: 180, maxBitrate: 150_000 },
];  // highest first: the order Janus expects (`rid_order` "hml")
const WIDE = [640, 320];  // a tile this wide (CSS px × devicePixelRatio) gets layer 2, 1
const CHECK_MS = 2000;  // how often the receiving side looks at its frame rates and losses
const RECENT_MS = 30_000;  // a speaker heard this recently keeps their video before others

let room = null;  // { state, lastN, subscriber(), publisher() } from room.js
const spoke = new Map();  // feed -> when last heard
const sent = new Map();  // mid -> { send, substream } last asked of Janus
const health = new Map();  // feed -> { cap, good, frames, lost, received }
let budget = Infinity;  // bits/s the browser estimates it can receive (when it says)
const settled = new Map();  // feed -> until when its frame counts say nothing (just switched)
let sentTo = null;  // the subscriber handle `sent` is about (a reconnect starts afresh)
const chosen = { video: [], layers: {}, limit: 0 };

/** A phone-class device: fewer cores or little memory (two layers, fewer videos). */
export function weakDevice() {
  return (navigator.hardwareConcurrency || 4) <= 2 || (navigator.deviceMemory || 8) <= 2;
}

function layersToSend() {
  return weakDevice() ? LAYERS.slice(1) : LAYERS;
}

/** Ask the camera for the size of the highest layer sent (no error if it cannot). */
export async function shapeCamera(track) {
  if (!track || track.kind !== "video") return;
  const height = layersToSend()[0].height;
  try {
    await track.applyConstraints({ width: { ideal: Math.round(height * 16 / 9) }, height: { ideal: height } });
  } catch (e) { /* the camera keeps its own size; the layers scale from it */ }
}

/** The janus.js track description that publishes `track` (a camera) in simulcast. */
export function videoTrack(track) {
  const layers = layersToSend();
  const height = (track.getSettings && track.getSettings().height) || layers[0].height;
  const sendEncodings = layers.map((l, i) => ({
    rid: l.rid, active: true, maxBitrate: l.maxBitrate,
    // the camera may give less than asked: each lower layer is still half the one above
    scaleResolutionDownBy: Math.max(1, height / l.height, 2 ** i),
  }));
  return { type: "video", capture: track, recv: false, simulcast: true, sendEncodings };
}

/** Hand over the room's state; `lastN` is the most videos received at once. */
export function setUp({ state, lastN, subscriber, publisher }) {
  room = { state, subscriber, publisher, lastN: lastN || 9 };
  state.media = chosen;
  window.onstreamRoomVideo = videoStats;
  setInterval(checkHealth, CHECK_MS);
}

/** `feed` is speaking now: their video comes before the others'. */
export function heard(feed) {
  const before = spoke.get(feed);
  spoke.set(feed, Date.now());
  if (!before || Date.now() - before > CHECK_MS) update();
}

function videoMids(state) {
  const mids = {};
  for (const [mid, r] of Object.entries(state.remote)) if (r.kind === "video") mids[r.feed] = mid;
  return mids;
}

/** How many videos this page takes: the setting, fewer on a phone or a weak device. */
function limit() {
  const narrow = window.matchMedia("(max-width: 48rem)").matches;
  return Math.min(room.lastN, narrow ? 4 : Infinity, weakDevice() ? 6 : Infinity);
}

function rank(state, feeds) {
  const tileOf = (id) => document.getElementById("tile-" + id);
  const order = [...document.querySelectorAll("#stage .tile")].map((el) => Number(el.dataset.participant));
  const score = (id) => {
    if (state.pinned === id) return 0;
    if ((state.peers[id] || {}).screen) return 1;
    if (state.activeSpeaker === id) return 2;
    const when = spoke.get(id);
    if (when && Date.now() - when < RECENT_MS) return 3 + (Date.now() - when) / RECENT_MS;
    const el = tileOf(id);
    return el && !el.classList.contains("off-page") ? 5 + order.indexOf(id) / 1000 : 9;
  };
  const shows = (id) => {
    const p = state.peers[id] || {};
    const el = tileOf(id);
    return el && !el.classList.contains("off-page") && (p.cam !== false || p.screen);
  };
  return feeds.filter(shows).sort((a, b) => score(a) - score(b));
}

/** The layer that fits the tile `id` is drawn in, lowered by what the network allows. */
function layerFor(id) {
  const el = document.getElementById("tile-" + id);
  const width = el ? el.getBoundingClientRect().width * (window.devicePixelRatio || 1) : 0;
  const wanted = width >= WIDE[0] ? 2 : width >= WIDE[1] ? 1 : 0;
  const cap = (health.get(id) || { cap: 2 }).cap;
  return Math.min(wanted, cap);
}

/** Lower the last-ranked videos' layers until all of them fit the bandwidth estimate. */
function fit(wanted) {
  const layers = new Map(wanted);
  const rate = (layer) => LAYERS[LAYERS.length - 1 - layer].maxBitrate;
  const total = () => [...layers.values()].reduce((sum, layer) => sum + rate(layer), 0);
  for (let i = wanted.length - 1; total() > budget && i >= 0; i = i > 0 ? i - 1 : wanted.length - 1) {
    const [id] = wanted[i];
    if (layers.get(id) > 0) layers.set(id, layers.get(id) - 1);
    else if ([...layers.values()].every((layer) => layer === 0)) break;
  }
  return layers;
}

/** Ask Janus for what the layout needs now; only what changed is sent. */
export function update() {
  if (!room) return;
  const state = room.state, sub = room.subscriber();
  if (!sub) return;
  if (sentTo !== sub) { sent.clear(); sentTo = sub; }
  const mids = videoMids(state);
  const feeds = Object.keys(mids).map(Number);
  const take = new Set(rank(state, feeds).slice(0, limit()));
  const streams = [];
  const layers = fit([...take].map((id) => [id, layerFor(id)]));
  chosen.video = [...take];
  chosen.layers = {};
  chosen.limit = limit();
  for (const id of feeds) {
    const mid = mids[id];
    const want = take.has(id) ? { send: true, substream: layers.get(id) } : { send: false };
    if (want.send) chosen.layers[id] = want.substream;
    const el = document.getElementById("tile-" + id);
    if (el) el.classList.toggle("video-paused", !want.send);
    const was = sent.get(mid + ":" + id);  // a mid is reused for the next publisher on it
    if (was && was.send === want.send && was.substream === want.substream) continue;
    sent.set(mid + ":" + id, want);
    settled.set(id, Date.now() + 2 * CHECK_MS);  // until a key frame of the new layer came
    streams.push({ mid, ...want });
  }
  if (streams.length) sub.send({ message: { request: "configure", streams } });
}

/** Every few seconds: a video that loses packets, or whose frames arrive faster than this
 * device decodes them, gets a lower layer (less to carry, less to decode); one that runs well
 * for three checks gets the next one back. The connection's bandwidth estimate, when the browser gives one,
 * bounds the layers together (`fit`). */
async function checkHealth() {
  if (!room) return;
  const sub = room.subscriber();
  const pc = sub && sub.webrtcStuff && sub.webrtcStuff.pc;
  if (!pc) return;
  const mids = videoMids(room.state);
  const feedOf = Object.fromEntries(Object.entries(mids).map(([feed, mid]) => [mid, Number(feed)]));
  let changed = false;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated && s.availableIncomingBitrate) budget = s.availableIncomingBitrate;
    if (s.type !== "inbound-rtp" || s.kind !== "video" || !(s.mid in feedOf)) return;
    const id = feedOf[s.mid];
    const h = health.get(id) || { cap: 2, good: 0 };
    const now = { decoded: s.framesDecoded || 0, arrived: s.framesReceived || 0, dropped: s.framesDropped || 0,
      lost: s.packetsLost || 0, received: s.packetsReceived || 0 };
    const was = h.last || now;
    h.last = now;
    health.set(id, h);
    const d = (key) => now[key] - was[key];
    if ((sent.get(s.mid + ":" + id) || {}).send === false || d("received") <= 0) return;
    if ((settled.get(id) || 0) > Date.now()) return;
    const behind = d("arrived") >= 10 && (d("decoded") < 0.7 * d("arrived") || d("dropped") > 0.1 * d("arrived"));
    if (behind || d("lost") > 0.05 * (d("lost") + d("received"))) {
      if (h.cap > 0) { h.cap -= 1; changed = true; }
      h.good = 0;
    } else if (++h.good >= 3 && h.cap < 2) {
      h.cap += 1; h.good = 0; changed = true;
    }
  });
  if (changed) update();
}

/** For people debugging and for the tests: the layers sent, each video received, the choice. */
async function videoStats() {
  const result = { outbound: [], inbound: {}, chosen, lastN: limit() };
  const pc = (handle) => handle && handle.webrtcStuff && handle.webrtcStuff.pc;
  const out = pc(room.publisher()), into = pc(room.subscriber());
  if (out) {
    (await out.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") {
        result.outbound.push({ rid: s.rid || null, bytes: s.bytesSent || 0, frames: s.framesEncoded || 0,
          width: s.frameWidth || 0, height: s.frameHeight || 0 });
      }
    });
  }
  const feedOf = Object.fromEntries(Object.entries(videoMids(room.state)).map(([feed, mid]) => [mid, Number(feed)]));
  if (into) {
    (await into.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp" || s.kind !== "video" || !(s.mid in feedOf)) return;
      result.inbound[feedOf[s.mid]] = { frames: s.framesDecoded || 0, width: s.frameWidth || 0,
        height: s.frameHeight || 0, fps: s.framesPerSecond || 0, bytes: s.bytesReceived || 0 };
    });
  }
  return result;
}
