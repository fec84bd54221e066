// The meeting room: joins the session's Janus VideoRoom with the token this page was given,
// publishes what this person may and can (camera, microphone, either or none), receives
// everybody else through one subscriber handle, and talks through the TextRoom of the same
// number: chat, and each person's own state (muted, camera off, sharing, hand raised,
// reactions). Janus stamps each TextRoom message with its sender, so nobody can speak for
// another. Moderators' actions go to Onstream (which holds the room secret), never to Janus.
// When Janus goes away the page reconnects by itself with a fresh token from the server.
// A guest who knocked on a waiting room gets this page without a room or a token: it asks
// the server until a moderator admits them (then joins, no reload) or denies them.
// `window.onstreamRoom` exposes the state for people debugging and for the browser tests.

import { arrange } from "./room-layout.js";
import { choices, fillPickers, openTrack } from "./room-devices.js";
import * as media from "./room-media.js";  // simulcast, and whose video is received (last N)

let config = JSON.parse(document.getElementById("room-config").textContent);
const $ = (id) => document.getElementById(id);
const REACTIONS = ["👍", "👏", "😂", "❤️", "🎉"];
// Marks drawn inline rather than emoji, which need a colour-emoji font the browser may lack
const MIC_OFF_ICON = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 2.5a3.2 3.2 0 0 0-3.2 3.2v5.6a3.2 3.2 0 0 0 6.4 0V5.7A3.2 3.2 0 0 0 12 2.5z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21"/><path stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M4 3.5l16 17"/></svg>';
const HAND_ICON = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="currentColor"><rect x="6.2" y="4.5" width="2.7" height="10" rx="1.35"/><rect x="9.6" y="2.5" width="2.7" height="11" rx="1.35"/><rect x="13" y="3.2" width="2.7" height="10.5" rx="1.35"/><rect x="16.4" y="5.5" width="2.7" height="9" rx="1.35"/><path d="M6.2 11h12.9v3.5a7 7 0 0 1-7 7h-.6a5.3 5.3 0 0 1-5.3-5.3z"/><rect x="2.6" y="10.5" width="2.7" height="7.5" rx="1.35" transform="rotate(-38 3.95 14.25)"/></svg>';
const FINAL = ["left", "removed", "ended", "denied"];
const state = window.onstreamRoom = {
  status: "connecting", myId: config.participant, privateId: null, error: null,
  feeds: {}, mids: {}, remote: {}, people: [], removed: [], waiting: [], messages: [], mutedByModerator: {},
  publishing: false, peers: {}, hands: [], pinned: null, speakerView: false,
  activeSpeaker: null, page: 0, recording: config.recording, reconnects: 0,
  me: { mic: false, cam: false, screen: false, hand: 0 },
};
const local = state.local = { audio: null, video: null, screen: null, senders: {}, published: false };
let janus = null, pub = null, sub = null, subJoining = false, pendingStreams = [];
let chat = null, chatReady = false, subscribed = new Set(), everConnected = false;
let deviceNote = "";  // what could not be used, said with the status
media.setUp({ state, lastN: config.lastN, subscriber: () => sub, publisher: () => pub });

function setStatus(status, text) {
  state.status = status;
  $("status").textContent = text;
}

function fail(text) {
  state.error = text;
  setStatus("error", text);
}

const person = (id) => state.people.find((p) => p.participant === id);
const isMe = (id) => id === state.myId;

function nameOf(id) {
  if (isMe(id)) return config.name;
  const p = person(id);
  if (p) return p.name;
  return (state.feeds[id] && state.feeds[id].display) || "Guest";
}

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  return (words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
}

// --- moderator mute: the real audio stream (a camera-only joiner's video is "0") -------
/** The m-line of someone's microphone as Janus announced it; undefined without one. */
function audioMid(id) {
  if (isMe(id)) {
    const pc = pub && pub.webrtcStuff && pub.webrtcStuff.pc;
    const sending = (t) => t.direction === "sendonly" || t.direction === "sendrecv";
    const found = pc && pc.getTransceivers().find((t) => sending(t) && t.receiver.track && t.receiver.track.kind === "audio");
    return found ? found.mid : undefined;
  }
  const stream = ((state.feeds[id] || {}).streams || []).find((s) => s.type === "audio" && !s.disabled);
  return stream ? String(stream.mid) : undefined;
}
// --- end of moderator mute ------------------------------------------------------------

function peer(id) {
  if (isMe(id)) return state.me;
  return state.peers[id] || (state.peers[id] = { mic: true, cam: true, screen: false, hand: 0 });
}

// --- tiles --------------------------------------------------------------------------
function tile(id) {
  let el = $("tile-" + id);
  if (!el) {
    el = document.createElement("figure");
    el.className = "tile no-video";
    el.id = "tile-" + id;
    el.dataset.participant = String(id);
    if (isMe(id)) el.classList.add("self");
    const avatar = document.createElement("div");
    avatar.className = "avatar";
    avatar.innerHTML = '<span class="initials"></span><bdi class="avatar-name"></bdi>';
    const caption = document.createElement("figcaption");
    caption.className = "label";
    // a name's direction stays inside it (<bdi>): it cannot reorder what is around it
    caption.innerHTML = `<span class="mic-off" hidden>${MIC_OFF_ICON}<span class="mic-off-text badge-text">Muted</span></span><bdi class="name"></bdi><span class="tile-role"></span>`;
    const hand = document.createElement("span");
    hand.className = "hand-badge";
    hand.hidden = true;
    hand.innerHTML = HAND_ICON + '<span class="badge-text">Hand raised</span>';
    const reaction = document.createElement("span");
    reaction.className = "reaction";
    reaction.setAttribute("aria-live", "polite");
    const pin = document.createElement("button");
    pin.type = "button";
    pin.className = "pin";
    pin.addEventListener("click", () => { state.pinned = state.pinned === id ? null : id; render(); });
    el.append(avatar, caption, hand, reaction, pin);
    $("stage").appendChild(el);
  }
  return el;
}

function dropTile(id) {
  const el = $("tile-" + id);
  if (el) el.remove();
  if (state.pinned === id) state.pinned = null;
}

function renderTile(id) {
  const el = $("tile-" + id);
  if (!el) return;
  const p = peer(id);
  const name = nameOf(id);
  const role = isMe(id) ? config.role : (person(id) || {}).role;
  // The role goes in a span of its own that gives way first, so a narrow tile still shows
  // the whole name; the label's title holds everything.
  const shownName = name + (isMe(id) ? " (you)" : "");
  el.querySelector(".name").textContent = shownName;
  el.querySelector(".tile-role").textContent = role ? "· " + role : "";
  el.querySelector(".label").title = shownName + (role ? " · " + role : "");
  el.querySelector(".initials").textContent = initials(name);
  el.querySelector(".avatar-name").textContent = name;
  el.querySelector(".mic-off").hidden = p.mic !== false;
  el.querySelector(".mic-off-text").textContent = !isMe(id) && audioMid(id) === undefined ? "No microphone" : "Muted";
  el.querySelector(".hand-badge").hidden = !p.hand;
  el.classList.toggle("camera-off", !p.cam && !p.screen);
  el.classList.toggle("screen", !!p.screen);
  el.classList.toggle("speaking", state.activeSpeaker === id);
  el.classList.toggle("muted", p.mic === false);
  const pin = el.querySelector(".pin");
  pin.textContent = state.pinned === id ? "Unpin" : "Pin";
  pin.setAttribute("aria-label", `${pin.textContent} ${name}`);
}

function featuredTile() {
  const find = (id) => (id === null || id === undefined ? null : $("tile-" + id));
  if (state.pinned !== null && find(state.pinned)) return find(state.pinned);
  const sharer = Object.keys(state.peers).map(Number).find((id) => state.peers[id].screen && find(id));
  if (sharer !== undefined) return find(sharer);
  if (state.me.screen && find(state.myId)) return find(state.myId);
  if (state.speakerView) {
    const others = [...document.querySelectorAll("#stage .tile:not(.self)")];
    return find(state.activeSpeaker !== state.myId ? state.activeSpeaker : null) || others[0] || null;
  }
  return null;
}

let rendering = false;
function render() {
  if (rendering) return;
  rendering = true;
  requestAnimationFrame(() => {
    rendering = false;
    const stage = $("stage");
    const tiles = [...stage.querySelectorAll(".tile")];
    for (const el of tiles) renderTile(Number(el.dataset.participant));
    const self = $("tile-" + state.myId);
    // one's own tile first, then the people whose camera is on (in their order), then the
    // rest: the first page of the grid, and so the last N videos received, hold pictures
    const others = tiles.filter((t) => t !== self);
    const picture = (t) => !t.classList.contains("camera-off");
    const ordered = [...(self ? [self] : []), ...others.filter(picture), ...others.filter((t) => !picture(t))];
    const narrow = window.matchMedia("(max-width: 48rem)").matches;
    const result = arrange(stage, { tiles: ordered, featured: featuredTile(), self, pip: narrow, page: state.page });
    state.page = result.page;
    state.pages = result.pages;
    $("pager").hidden = result.pages < 2;
    $("page-number").textContent = `Page ${result.page + 1} of ${result.pages}`;
    $("speaker-view").textContent = state.speakerView ? "Grid view" : "Speaker view";
    renderPeople();
    renderControls();
    media.update();  // the tiles moved: whose video, in which layer
  });
}

// --- people -------------------------------------------------------------------------
async function loadPeople() {
  try {
    const answer = await fetch(config.people, { credentials: "same-origin" });
    if (answer.ok) {
      const body = await answer.json();
      state.people = body.people;
      state.removed = body.removed || [];
      state.waiting = body.waiting || [];
      // the database's word: whoever starts or stops recording, everybody sees it
      if (typeof body.recording === "boolean" && !FINAL.includes(state.status)) showRecording(body.recording);
      checkStage();
    }
  } catch (e) { /* the next round tries again */ }
  render();
}

function inRoom(p) {
  return isMe(p.participant) || p.participant in state.feeds ||
    (state.present && state.present.has(p.participant)) || chatting.has(p.participant);
}
// who is in the chat room: observers only subscribe, so Janus's VideoRoom does not list them
const chatting = new Set();

let peopleShown = "";
function renderPeople() {
  const list = $("people");
  const hands = state.hands.filter((id) => peer(id).hand);
  // rebuilt only when something shown changed, so a button is never swapped under a click
  const shown = JSON.stringify([state.people.filter(inRoom), hands, Object.keys(state.feeds).map((id) => [id, audioMid(Number(id))]),
    state.people.map((p) => peer(p.participant)), state.mutedByModerator, state.removed, state.waiting]);
  if (shown === peopleShown) return;
  peopleShown = shown;
  list.replaceChildren();
  for (const p of state.people.filter(inRoom)) {
    const id = p.participant;
    const status = peer(id);
    const item = document.createElement("li");
    item.dataset.participant = String(id);
    const name = document.createElement("bdi"); // a name's direction stays inside it
    name.className = "person-name";
    name.textContent = p.name + (isMe(id) ? " (you)" : "");
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = p.role;
    item.append(name, role);
    if (status.hand) {
      const hand = document.createElement("span");
      hand.className = "hand";
      hand.innerHTML = HAND_ICON;
      hand.append(`Hand ${hands.indexOf(id) + 1}`);
      hand.title = "Hand raised";
      item.append(hand);
    }
    if (id in state.feeds || (isMe(id) && config.publish)) {
      const mic = document.createElement("span");
      mic.className = "mic-state";
      const noMic = !isMe(id) && audioMid(id) === undefined;  // nothing to mute: said, no button
      mic.textContent = noMic ? "No microphone" : status.mic === false ? "Muted" : "";
      item.append(mic);
    }
    if (config.moderator && !isMe(id)) {
      const mid = audioMid(id);
      if (id in state.feeds && mid !== undefined) {
        const muted = status.mic === false || state.mutedByModerator[id];
        item.append(actionButton(muted ? "Unmute" : "Mute",
          { action: muted ? "unmute" : "mute", participant: id, kind: "audio", mid }));
      }
      if (status.hand) item.append(signalButton("Lower hand", { type: "lower", who: id }));
      if (p.role === "observer") {  // see "the stage"
        item.append(actionButton(p.onStage ? "Back to audience" : "Bring on stage",
          { action: "stage", participant: id, on: !p.onStage }));
      }
      item.append(actionButton("Remove", { action: "remove", participant: id }));
    }
    list.appendChild(item);
  }
  // moderators see who was removed, and may let them back in through their own link
  for (const p of config.moderator ? state.removed : []) {
    const item = document.createElement("li");
    item.className = "sent-out";
    item.dataset.removed = String(p.participant);
    const name = document.createElement("bdi");
    name.className = "person-name";
    name.textContent = p.name;
    const note = document.createElement("span");
    note.className = "role";
    note.textContent = "removed";
    item.append(name, note, actionButton("Let back in", { action: "readmit", participant: p.participant }));
    list.appendChild(item);
  }
  renderKnocks();
  const queue = $("hands");
  queue.replaceChildren();
  for (const id of hands) {
    const item = document.createElement("li");
    const name = document.createElement("bdi");
    name.textContent = nameOf(id);
    item.append(name);
    queue.appendChild(item);
  }
  $("hands-section").hidden = !hands.length;
}

// moderators see who knocked on the waiting room: a notice above the room, and a list with
// a count in the people panel, each with Admit and Deny
function renderKnocks() {
  const notice = $("knock-notice");
  if (!notice) return;
  const knocks = state.waiting;
  const list = $("knocking");
  list.replaceChildren();
  for (const p of knocks) {
    const item = document.createElement("li");
    item.dataset.waiting = String(p.participant);
    const name = document.createElement("bdi");
    name.className = "person-name";
    name.textContent = p.name;
    const admit = actionButton("Admit", { action: "admit", participant: p.participant });
    admit.classList.remove("secondary");  // the one the moderator most likely wants
    item.append(name, admit, actionButton("Deny", { action: "deny", participant: p.participant }));
    list.appendChild(item);
  }
  $("knocks").hidden = !knocks.length;
  $("knock-count").textContent = String(knocks.length);
  notice.hidden = !knocks.length;
  if (knocks.length === 1) {
    const name = document.createElement("bdi");
    name.textContent = knocks[0].name;
    notice.replaceChildren(name, " is waiting to join. Admit or deny in People.");
  } else {
    notice.textContent = `${knocks.length} people are waiting to join. Admit or deny in People.`;
  }
  $("tab-people").classList.toggle("unread", knocks.length > 0 && document.body.dataset.tab !== "people");
}

function showKnocks() {
  $("tab-people").click();
  const first = document.querySelector("#knocking button");
  if (first) first.focus();
}

function actionButton(text, body) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = text;
  button.dataset.action = body.action;
  button.addEventListener("click", async () => {
    const result = await moderate(body);
    if (result.ok && (body.action === "mute" || body.action === "unmute")) {
      state.mutedByModerator[body.participant] = body.action === "mute";
      if (body.action === "mute") peer(body.participant).mic = false;
      render();
    }
    if (result.ok && ["remove", "readmit", "admit", "deny", "stage"].includes(body.action)) loadPeople();
  });
  return button;
}

function signalButton(text, message) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = text;
  button.dataset.action = message.type;
  button.addEventListener("click", () => signal(message));
  return button;
}

async function moderate(body) {
  const answer = await fetch(config.moderate, {
    method: "POST", credentials: "same-origin",
    headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  const result = await answer.json().catch(() => ({}));
  if (!answer.ok) setStatus(state.status, result.error || "That did not work.");
  return result;
}

// --- receiving: one subscriber handle for every publisher ----------------------------
const admitted = (id) => state.people.some((p) => p.participant === id);

// Only publishers Onstream let in (and did not remove) are received: Janus's own list can
// still hold someone whose browser died without leaving, until their session times out.
async function subscribeTo(publishers) {
  if (publishers.some((p) => !isMe(p.id) && !admitted(p.id))) await loadPeople();
  const streams = [];
  for (const p of publishers) {
    if (isMe(p.id) || !admitted(p.id)) continue;
    state.feeds[p.id] = { display: p.display, streams: p.streams || [] };
    tile(p.id).classList.remove("stale");
    if (!p.streams) {  // an observer's listing (see watch()): every stream of the feed
      if (!subscribed.has(p.id + ":*")) { subscribed.add(p.id + ":*"); streams.push({ feed: p.id }); }
      continue;
    }
    for (const s of p.streams) {
      const key = p.id + ":" + s.mid;
      if (s.disabled || s.type === "data" || subscribed.has(key)) continue;
      subscribed.add(key);
      streams.push({ feed: p.id, mid: s.mid });
    }
  }
  render();
  if (!streams.length) return;
  if (sub && !subJoining) { sub.send({ message: { request: "subscribe", streams } }); return; }
  if (subJoining) { pendingStreams.push(...streams); return; }
  subJoining = true;
  const session = janus;
  session.attach({
    plugin: "janus.plugin.videoroom",
    success(handle) {
      if (session !== janus) return;
      sub = handle;
      const owner = state.privateId ? { private_id: state.privateId } : {};  // none: an observer
      sub.send({ message: { request: "join", ptype: "subscriber", room: config.room,
        ...owner, token: config.token, streams } });
    },
    error(e) { fail("Could not receive the others: " + e); },
    onmessage(msg, jsep) {
      if (msg.error) { if (msg.error_code !== 432) fail(msg.error); return; }
      if (msg.videoroom === "attached" && subJoining) {
        subJoining = false;
        if (pendingStreams.length) {
          sub.send({ message: { request: "subscribe", streams: pendingStreams } });
          pendingStreams = [];
        }
      }
      for (const s of msg.streams || []) state.mids[s.mid] = { feed: s.feed_id, type: s.type };
      if (jsep) {
        sub.createAnswer({
          jsep, tracks: [{ type: "data" }],
          success(answer) {
            sub.send({ message: { request: "start", room: config.room }, jsep: answer });
            showReusedTracks();
          },
          error(e) { fail("Could not receive the others: " + e); },
        });
      }
    },
    onremotetrack(track, mid, on) {
      if (!on) { if (state.remote[mid]) state.remote[mid].live = false; return; }
      showTrack(track, mid);
    },
    iceState(ice) { watchIce("sub", ice); },
  });
}

// A mid that Janus gives to a new publisher after the last one on it left keeps its
// receiver's track object, and janus.js does not report it again: show such tracks
// ourselves once the new offer is answered (`showTrack` ignores a track already shown).
function showReusedTracks() {
  const pc = sub && sub.webrtcStuff && sub.webrtcStuff.pc;
  if (!pc) return;
  for (const t of pc.getTransceivers()) {
    const info = state.mids[t.mid];
    const track = t.receiver && t.receiver.track;
    if (!info || !(info.feed in state.feeds) || !track || track.readyState !== "live") continue;
    const known = state.remote[t.mid];
    if (!known || known.feed !== info.feed) showTrack(track, t.mid);
  }
}

function showTrack(track, mid) {
  const info = state.mids[mid] || {};
  const known = state.remote[mid];
  if (known && known.track === track && known.feed === info.feed) { known.live = true; return; }
  if (known && known.el) known.el.remove();
  const el = document.createElement(track.kind === "video" ? "video" : "audio");
  el.autoplay = true;
  el.playsInline = true;
  if (track.kind === "video") el.muted = true;
  el.srcObject = new MediaStream([track]);
  if (track.kind === "video") {
    const t = tile(info.feed);
    t.classList.remove("no-video");
    t.prepend(el);
  } else {
    $("audio").appendChild(el);
    const speaker = choices().speaker;
    if (speaker && el.setSinkId) el.setSinkId(speaker).catch(() => {});
  }
  el.play().catch(() => {});
  state.remote[mid] = { kind: track.kind, feed: info.feed, el, live: true, track };
  render();
}

function removeFeed(id) {
  delete state.feeds[id];
  delete state.peers[id];
  state.hands = state.hands.filter((h) => h !== id);
  dropTile(id);
  for (const [mid, r] of Object.entries(state.remote)) {
    if (r.feed === id) { if (r.el) r.el.remove(); delete state.remote[mid]; }
  }
  for (const key of [...subscribed]) if (key.startsWith(id + ":")) subscribed.delete(key);
  render();
}

// --- sending ------------------------------------------------------------------------
function offer(tracks, extra = {}) {
  return new Promise((resolve, reject) => {
    pub.createOffer({
      tracks, ...extra,
      success(jsep) {
        pub.send({ message: { request: "configure", audio: true, video: true }, jsep });
        resolve();
      },
      error(e) { reject(e); },
    });
  });
}

function findSenders() {
  const pc = pub && pub.webrtcStuff && pub.webrtcStuff.pc;
  if (!pc) return;
  for (const t of pc.getTransceivers()) {
    const kind = t.receiver.track && t.receiver.track.kind;
    if (kind && (t.direction === "sendonly" || t.direction === "sendrecv")) local.senders[kind] = t.sender;
  }
}

async function publish() {
  const want = choices();
  const problems = [];
  if (want.useMicrophone !== false) local.audio = await openTrack("audio", problems);
  if (want.useCamera !== false) local.video = await openTrack("video", problems);
  state.me.mic = !!local.audio;
  state.me.cam = !!local.video;
  showSelf();
  const tracks = [];
  if (local.audio) tracks.push({ type: "audio", capture: local.audio, recv: false });
  if (local.video) await media.shapeCamera(local.video);
  if (local.video) tracks.push(media.videoTrack(local.video));
  const note = problems.length ? problems.join(" ") + " " : "";
  if (!tracks.length) {
    setStatus("joined", note + "You are listening. Turn on your microphone or camera when you like.");
    render();
    return;
  }
  try {
    await offer(tracks);
    local.published = true;
    findSenders();
    if (note) deviceNote = note + "The others can still " + (local.audio ? "hear" : "see") + " you.";
    if (note) setStatus(state.status, deviceNote);
  } catch (e) {
    fail("Camera or microphone unavailable: " + (e && e.message || e));
  }
  broadcastState();
  render();
}

/** Send `track` as `kind`: on the existing sender, or as a new m-line (renegotiated). */
async function sendTrack(kind, track) {
  if (!pub) return;
  findSenders();
  if (local.senders[kind]) { await local.senders[kind].replaceTrack(track); return; }
  if (!track) return;
  await offer([kind === "video" ? media.videoTrack(track) : { type: kind, capture: track, recv: false }]);
  local.published = true;
  findSenders();
}

function showSelf() {
  if (!config.publish) return;
  const video = local.screen || local.video;
  const el = tile(state.myId);
  let v = el.querySelector("video");
  if (!video) { if (v) v.remove(); el.classList.add("no-video"); render(); return; }
  if (!v) {
    v = document.createElement("video");
    v.id = "local-video";
    v.muted = true;
    v.autoplay = true;
    v.playsInline = true;
    el.prepend(v);
  }
  el.classList.remove("no-video");
  if (!v.srcObject || v.srcObject.getVideoTracks()[0] !== video) v.srcObject = new MediaStream([video]);
  v.play().catch(() => {});
  render();
}

function onMessage(msg, jsep) {
  const event = msg.videoroom;
  if (msg.error) {
    if (msg.error_code === 433) end("removed", "You may not enter this meeting any more.");
    else if (msg.error_code === 426) connectionLost();  // the room is gone: rejoin a new one
    else fail(msg.error);
    return;
  }
  if (event === "joined") {
    if (state.status === "reconnecting") rejoined();
    everConnected = true;
    state.reconnects = 0;
    state.privateId = msg.private_id;
    setStatus("joined", config.publish ? "Connected. Starting your camera…" : "Connected. You are watching and listening.");
    state.present = new Set((msg.attendees || []).map((a) => a.id));
    if (config.publish) {
      if (local.audio || local.video) republish(); else publish();
    }
    subscribeTo(msg.publishers || []);
    loadPeople();
    openChat();
  } else if (event === "destroyed") {
    end("ended", "This meeting has ended.");
  } else if (event === "event") {
    if (msg.publishers) subscribeTo(msg.publishers);
    if (msg.joining && state.present) { state.present.add(msg.joining.id); loadPeople(); }
    if (msg.leaving === "ok" && msg.reason === "kicked" && config.role === "observer") { restage(); return; }  // see "the stage"
    if (msg.leaving === "ok" && msg.reason === "kicked") { end("removed", "A moderator removed you from the meeting."); return; }
    for (const key of ["leaving", "unpublished", "kicked"]) {
      if (msg[key] !== undefined && msg[key] !== "ok") {
        if (state.present && key !== "unpublished") state.present.delete(msg[key]);
        removeFeed(msg[key]);
      }
    }
    if (msg.moderation) moderated(msg.id, msg.mid, msg.moderation === "muted");
  }
  if (jsep) pub.handleRemoteJsep({ jsep });
}

function moderated(id, mid, muted) {
  const audio = String(mid) === audioMid(id);
  if (isMe(id)) {
    state.mutedByModerator[mid] = muted;
    if (muted && audio && local.audio) {
      local.audio.enabled = false;
      state.me.mic = false;
      broadcastState();
    }
    setStatus(state.status, muted ? "A moderator muted you." : "A moderator lets you speak again: press Unmute.");
  } else if (audio) {
    state.mutedByModerator[id] = muted;
  }
  render();
}

/** Open again the devices that were in use (closing the old connection stopped them). */
async function reviveTracks() {
  for (const kind of ["audio", "video"]) {
    const track = local[kind];
    if (track && track.readyState === "ended") {
      local[kind] = await openTrack(kind);
      if (kind === "audio" && local.audio) local.audio.enabled = state.me.mic;
    }
  }
  if (local.screen && local.screen.readyState === "ended") { local.screen = null; state.me.screen = false; }
  showSelf();
}

async function republish() {
  // after a reconnect: send again what was being sent, on a new connection
  await reviveTracks();
  const tracks = [];
  if (local.audio) tracks.push({ type: "audio", capture: local.audio, recv: false });
  const video = local.screen || local.video;
  if (video) tracks.push(media.videoTrack(video));
  local.senders = {};
  if (!tracks.length) return;
  try { await offer(tracks); findSenders(); } catch (e) { fail("Camera or microphone unavailable: " + e); }
  showSelf();
}

// --- the TextRoom: chat and everyone's own state --------------------------------------
// The chat lives on the room's own Janus. An observer placed on another Janus (where the
// room's publishers are relayed, `config.chatJanus` differs) opens a session of its own there.
let chatSession = null;
function openChat() {
  const session = janus;
  if (!config.chatJanus || config.chatJanus === config.janus) { attachChat(session, session); return; }
  const own = chatSession = new Janus({
    server: config.chatJanus,
    iceServers: config.iceServers,
    destroyOnUnload: true,
    success() { if (session === janus && own === chatSession) attachChat(own, session); },
    error() { /* the meeting works without chat */ },
  });
}

function attachChat(on, session) {
  on.attach({
    plugin: "janus.plugin.textroom",
    success(handle) { if (session !== janus) return; chat = handle; chat.send({ message: { request: "setup" } }); },
    error() { /* the meeting works without chat */ },
    onmessage(msg, jsep) {
      if (jsep) {
        chat.createAnswer({
          jsep, tracks: [{ type: "data" }],
          success(answer) { chat.send({ message: { request: "ack" }, jsep: answer }); },
        });
      }
    },
    ondataopen() {
      chat.data({ text: JSON.stringify({ textroom: "join", transaction: Janus.randomString(12),
        room: config.room, username: String(state.myId), display: config.name, token: config.token }) });
    },
    ondata(data) {
      const msg = JSON.parse(data);
      if (msg.textroom === "success" && !chatReady && msg.participants) {
        chatting.clear();
        for (const p of msg.participants) chatting.add(Number(p.username));
        chatReady = true;
        $("chat-text").disabled = false;
        document.querySelector("#chat-form button").disabled = false;
        broadcastState();
      } else if (msg.textroom === "join" && !isMe(Number(msg.username))) {
        chatting.add(Number(msg.username));
        render();
        broadcastState();  // tell who just came what we are doing
      } else if (msg.textroom === "leave") {
        chatting.delete(Number(msg.username));
        render();
      } else if (msg.textroom === "message") {
        received(Number(msg.from), msg.text);
      }
    },
  });
}

function signal(message) {
  if (!chat || !chatReady) return false;
  chat.data({ text: JSON.stringify({ textroom: "message", transaction: Janus.randomString(12),
    room: config.room, text: JSON.stringify({ onstream: 1, ...message }) }) });
  return true;
}

function broadcastState() {
  signal({ type: "state", mic: state.me.mic, cam: state.me.cam, screen: state.me.screen, hand: state.me.hand });
}

function received(from, text) {
  let msg;
  try { msg = JSON.parse(text); } catch (e) { msg = null; }
  if (!msg || msg.onstream !== 1) { showMessage(from, String(text)); return; }
  const sender = person(from);
  if (msg.type === "chat") showMessage(from, String(msg.text || ""));
  else if (msg.type === "state" && !isMe(from)) {
    const p = peer(from);
    const wasHand = p.hand;
    Object.assign(p, { told: true, mic: msg.mic !== false, cam: msg.cam !== false, screen: !!msg.screen, hand: Number(msg.hand) || 0 });
    if (p.hand && !wasHand) state.hands.push(from);
    if (!p.hand) state.hands = state.hands.filter((h) => h !== from);
    state.hands.sort((a, b) => peer(a).hand - peer(b).hand);
    if (p.screen && state.pinned === null) state.page = 0;
    render();
  } else if (msg.type === "react" && REACTIONS.includes(msg.emoji)) {
    showReaction(from, msg.emoji);
  } else if (msg.type === "lower" && sender && sender.role === "moderator" && isMe(Number(msg.who))) {
    setHand(false);
    setStatus(state.status, "A moderator lowered your hand.");
  }
}

function showMessage(from, text) {
  const label = nameOf(from) + (isMe(from) ? " (you)" : "");
  state.messages.push({ from: label, text });
  const item = document.createElement("li");
  const who = document.createElement("strong");
  const name = document.createElement("bdi"); // names and messages cannot reorder each other
  name.textContent = label;
  who.append(name, ": ");
  const said = document.createElement("bdi");
  said.textContent = text;
  item.append(who, said);
  $("messages").appendChild(item);
  item.scrollIntoView({ block: "nearest" });
  if (!isMe(from) && document.body.dataset.tab !== "chat") $("tab-chat").classList.add("unread");
}

function showReaction(id, emoji) {
  const el = $("tile-" + id);
  if (!el) return;
  const badge = el.querySelector(".reaction");
  badge.textContent = emoji;
  badge.classList.add("shown");
  clearTimeout(badge.timer);
  badge.timer = setTimeout(() => { badge.classList.remove("shown"); badge.textContent = ""; }, 4000);
}

function setHand(up) {
  state.me.hand = up ? Date.now() : 0;
  if (up) state.hands.push(state.myId); else state.hands = state.hands.filter((h) => h !== state.myId);
  broadcastState();
  render();
}

// --- active speaker: audio levels of what each receiver plays --------------------------
function measureSpeakers() {
  const pc = sub && sub.webrtcStuff && sub.webrtcStuff.pc;
  let loudest = null, level = 0.02;
  if (pc) {
    for (const t of pc.getTransceivers()) {
      const r = state.remote[t.mid];
      if (!r || r.kind !== "audio" || !t.receiver.getSynchronizationSources) continue;
      const source = t.receiver.getSynchronizationSources()[0];
      if (source && source.audioLevel > level) {
        level = source.audioLevel;
        loudest = r.feed;
      }
    }
  }
  if (loudest !== null) media.heard(loudest);
  if (loudest !== null && loudest !== state.activeSpeaker) {
    state.activeSpeaker = loudest;
    render();
  }
}

// --- controls -----------------------------------------------------------------------
function renderControls() {
  const mic = $("mic"), cam = $("cam"), screen = $("screen"), hand = $("hand");
  if (!config.publish) return;
  mic.textContent = state.me.mic ? "Mute" : "Unmute";
  mic.setAttribute("aria-pressed", String(!state.me.mic));
  cam.textContent = state.me.cam ? "Stop video" : "Start video";
  cam.setAttribute("aria-pressed", String(!state.me.cam));
  screen.textContent = state.me.screen ? "Stop sharing" : "Share screen";
  screen.setAttribute("aria-pressed", String(state.me.screen));
  hand.textContent = state.me.hand ? "Lower hand" : "Raise hand";
}

async function toggleMic() {
  if (state.me.mic) {
    if (local.audio) local.audio.enabled = false;
    state.me.mic = false;
  } else if (state.mutedByModerator[audioMid(state.myId)]) {
    setStatus(state.status, "A moderator muted you; they can let you speak again.");
    return;
  } else {
    if (!local.audio || local.audio.readyState === "ended") {
      const problems = [];
      local.audio = await openTrack("audio", problems);
      if (!local.audio) { setStatus(state.status, problems.join(" ")); return; }
      await sendTrack("audio", local.audio);
    }
    local.audio.enabled = true;
    state.me.mic = true;
  }
  broadcastState();
  render();
}

async function toggleCamera() {
  if (state.me.cam) {
    if (local.video) local.video.stop();
    local.video = null;
    state.me.cam = false;
    if (!local.screen) await sendTrack("video", null);
  } else {
    const problems = [];
    local.video = await openTrack("video", problems);
    if (!local.video) { setStatus(state.status, problems.join(" ")); return; }
    state.me.cam = true;
    if (!local.screen) await sendTrack("video", local.video);
  }
  showSelf();
  broadcastState();
  render();
}

async function shareScreen() {
  if (local.screen) { await stopSharing(); return; }
  let display;
  try { display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }); } catch (e) { return; }
  const track = display.getVideoTracks()[0];
  if (!track) return;
  local.screen = track;
  track.addEventListener("ended", () => { if (local.screen === track) stopSharing(); });
  try { await sendTrack("video", track); } catch (e) { await stopSharing(); return; }
  state.me.screen = true;
  showSelf();
  broadcastState();
  render();
}

/** Stop sharing (the button, or the browser's own stop): the camera goes back for everyone. */
async function stopSharing() {
  const track = local.screen;
  local.screen = null;
  state.me.screen = false;
  if (track) track.stop();
  if (state.me.cam && (!local.video || local.video.readyState === "ended")) local.video = await openTrack("video");
  state.me.cam = !!local.video;
  await sendTrack("video", local.video);
  showSelf();
  broadcastState();
  render();
}

async function changeDevice(kind, id) {
  if (kind === "speaker") {
    for (const el of document.querySelectorAll("#audio audio")) if (el.setSinkId) el.setSinkId(id).catch(() => {});
    return;
  }
  const type = kind === "camera" ? "video" : "audio";
  const on = type === "video" ? state.me.cam : !!local.audio;
  if (!on) return;
  const track = await openTrack(type);
  if (!track) return;
  const old = local[type];
  if (type === "audio") track.enabled = state.me.mic;
  local[type] = track;
  if (type === "audio" || !local.screen) await sendTrack(type, track);
  if (old) old.stop();
  showSelf();
}

function setUpControls() {
  if (config.publish) {
    for (const id of ["mic", "cam", "hand", "react"]) $(id).hidden = false;
    $("mic").addEventListener("click", toggleMic);
    $("cam").addEventListener("click", toggleCamera);
    $("hand").addEventListener("click", () => setHand(!state.me.hand));
    if (navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) {
      $("screen").hidden = false;
      $("screen").addEventListener("click", shareScreen);
    }
    for (const button of document.querySelectorAll("#reactions button")) {
      button.addEventListener("click", () => {
        if (signal({ type: "react", emoji: button.textContent })) showReaction(state.myId, button.textContent);
        $("reactions").hidden = true;
      });
    }
    $("react").addEventListener("click", () => { $("reactions").hidden = !$("reactions").hidden; });
  }
  $("speaker-view").addEventListener("click", () => { state.speakerView = !state.speakerView; render(); });
  $("devices").addEventListener("click", () => {
    $("device-panel").hidden = !$("device-panel").hidden;
    fillPickers({ camera: $("pick-camera"), microphone: $("pick-microphone"), speaker: $("pick-speaker") }, changeDevice);
  });
  $("page-prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); render(); });
  $("page-next").addEventListener("click", () => { state.page += 1; render(); });
  for (const tab of document.querySelectorAll("[data-tab-for]")) {
    tab.addEventListener("click", () => {
      document.body.dataset.tab = tab.dataset.tabFor;
      tab.classList.remove("unread");
      for (const t of document.querySelectorAll("[data-tab-for]")) t.setAttribute("aria-selected", String(t === tab));
    });
  }
  $("chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) return;
    // shown when the TextRoom hands it back, as for everybody: once, in the room's order
    if (signal({ type: "chat", text })) $("chat-text").value = "";
  });
  $("leave").addEventListener("click", () => end("left", "You left the meeting."));
  const end_ = $("end");
  if (end_) end_.addEventListener("click", async () => {
    if (end_.dataset.armed !== "1") {  // a second click confirms: no dialog to dismiss
      end_.dataset.armed = "1";
      end_.textContent = "Click again to end for all";
      setTimeout(() => { end_.dataset.armed = ""; end_.textContent = "End meeting for all"; }, 5000);
      return;
    }
    const result = await moderate({ action: "end" });
    if (result.ok) end("ended", "This meeting has ended.");
  });
  const record = $("record");
  showRecording(config.recording);
  if (record) record.addEventListener("click", async () => {
    const result = await moderate({ action: "record", on: !state.recording });
    if (result.ok) showRecording(result.recording);
  });
  window.addEventListener("resize", render);
}

// The "● Recording" indicator and the banner, for everybody; the record button for moderators.
function showRecording(on) {
  state.recording = on;
  const record = $("record");
  if (record) record.textContent = on ? "Stop recording" : "Start recording";
  $("recording").hidden = !on;
  $("recording-banner").hidden = !on;
  if (on) state.wasRecorded = true;
}

function autoOpen() {
  const viewer = $("viewer");
  const link = (config.autoOpen || [])[0];
  if (!viewer || !link) return;
  viewer.src = link;
  viewer.hidden = false;
}

const ENDINGS = {
  ended: "This meeting has ended",
  left: "You left the meeting",
  removed: "A moderator removed you from the meeting",
  denied: "A moderator did not let you in",
};

function end(status, text) {
  if (FINAL.includes(state.status)) return;
  setStatus(status, text);
  for (const t of [local.audio, local.video, local.screen]) if (t) t.stop();
  if (janus) janus.destroy({ notifyDestroyed: false, cleanupHandles: true });
  janus = null;
  clearTimeout(retryTimer);
  showReconnecting(false);
  // no black tiles or live chat box stay behind: the page becomes a plain notice
  $("waiting-room").hidden = true;
  document.body.classList.remove("room-waiting");
  $("room").remove();
  $("controls").remove();
  $("audio").remove();
  $("ended-title").textContent = ENDINGS[status];
  $("ended-recording").hidden = !(status === "ended" && config.owner && (state.recording || state.wasRecorded));
  $("ended").hidden = false;
  $("recording").hidden = true;
  $("recording-banner").hidden = true;
  $("status").hidden = true;
  document.body.classList.add("room-over");
}

// --- reconnecting: a banner over the stage, and everybody's tile kept until the rejoin ---
let countdownTimer = null, staleTimer = null;
const STALE_MS = 30000;  // a kept tile whose person is not back this long after the rejoin goes

function showReconnecting(on) {
  const banner = $("reconnecting");
  clearInterval(countdownTimer);
  if (!banner) return;
  banner.hidden = !on;
  if (on) { countdownTimer = setInterval(showCountdown, 500); showCountdown(); }
}

function showCountdown() {
  const left = Math.ceil(((state.retryAt || 0) - Date.now()) / 1000);
  $("reconnect-countdown").textContent = left > 0 ? `Trying again in ${left} s` : "Trying again now…";
}

/** While reconnecting a tile keeps its person's name and initials; only the media goes. */
function keepTile(id) {
  for (const r of Object.values(state.remote)) if (r.feed === id && r.el) r.el.remove();
  const el = $("tile-" + id);
  if (el) el.classList.add("no-video", "stale");
}

function rejoined() {
  showReconnecting(false);
  clearTimeout(staleTimer);
  staleTimer = setTimeout(() => {
    for (const el of document.querySelectorAll("#stage .tile.stale")) removeFeed(Number(el.dataset.participant));
  }, STALE_MS);
}
// --- end of reconnecting --------------------------------------------------------------

// --- connecting, and reconnecting when Janus goes away ------------------------------
let retryTimer = null, iceTimers = {};

function watchIce(which, ice) {
  clearTimeout(iceTimers[which]);
  if (ice === "failed") restartIce(which);
  else if (ice === "disconnected") iceTimers[which] = setTimeout(() => restartIce(which), 4000);
}

function restartIce(which) {
  if (!janus || FINAL.includes(state.status)) return;
  state.iceRestarts = (state.iceRestarts || 0) + 1;
  if (state.iceRestarts > 4) { connectionLost(); return; }
  if (which === "pub" && pub && local.published) offer([], { iceRestart: true }).catch(() => connectionLost());
  if (which === "sub" && sub) sub.send({ message: { request: "configure", restart: true } });
}

/** The page's own config again, with a fresh token (the server also re-opens the room). */
async function freshConfig() {
  const answer = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
  if (answer.status === 404) return "removed";
  if (answer.status === 410) return "ended";
  if (!answer.ok) return null;
  const page = new DOMParser().parseFromString(await answer.text(), "text/html");
  const found = page.getElementById("room-config");
  return found ? JSON.parse(found.textContent) : null;
}

function teardown() {
  const old = janus;
  janus = null; pub = null; sub = null; chat = null;
  chatReady = false; subJoining = false; pendingStreams = []; subscribed = new Set();
  state.publishing = false;
  local.senders = {};
  $("chat-text").disabled = true;
  document.querySelector("#chat-form button").disabled = true;
  for (const id of Object.keys(state.feeds).map(Number)) keepTile(id);
  state.remote = {}; state.mids = {};
  if (old) { try { old.destroy({ notifyDestroyed: false, cleanupHandles: true }); } catch (e) { /* gone */ } }
  const oldChat = chatSession;
  chatSession = null;
  if (oldChat) { try { oldChat.destroy({ notifyDestroyed: false, cleanupHandles: true }); } catch (e) { /* gone */ } }
}

function connectionLost() {
  if (FINAL.includes(state.status) || state.status === "reconnecting") return;
  setStatus("reconnecting", "Reconnecting…");
  showReconnecting(true);
  teardown();
  if (config.publish) reviveTracks();
  scheduleRetry();
}

function scheduleRetry() {
  const delay = Math.min(15000, 1000 * 2 ** Math.min(state.reconnects, 4));
  state.reconnects += 1;
  state.retryAt = Date.now() + delay;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(async () => {
    state.retryAt = 0;
    let fresh = null;
    try { fresh = await freshConfig(); } catch (e) { fresh = null; }
    if (fresh === "removed") { end("removed", "You are not in this meeting any more."); return; }
    if (fresh === "ended") { end("ended", "This meeting has ended."); return; }
    if (!fresh) { scheduleRetry(); return; }
    config = fresh;
    state.iceRestarts = 0;
    connect();
  }, delay);
}

/** Where janus.js reaches Janus: the server's WebSocket relay first when it has one (a join
 * in a few messages), its long-polling relay when the WebSocket cannot be opened. */
function janusServer() {
  if (!config.janusWebSocket) return config.janus;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return [scheme + location.host + config.janusWebSocket, config.janus];
}

let attempt = null;
function connect() {
  const session = attempt = new Janus({
    server: janusServer(),
    iceServers: config.iceServers,
    destroyOnUnload: true,
    success() {
      janus = session;
      if (!config.publish && config.watchOnly) { watch(); return; }  // an observer: no publisher handle
      janus.attach({
        plugin: "janus.plugin.videoroom",
        success(handle) {
          pub = handle;
          pub.send({ message: { request: "join", ptype: "publisher", room: config.room,
            id: config.participant, display: config.name, token: config.token } });
        },
        error(e) { fail("Could not join: " + e); },
        onmessage: onMessage,
        webrtcState(up) {
          state.publishing = up;
          if (up) setStatus("publishing", "You are in the meeting." + (deviceNote ? " " + deviceNote : ""));
        },
        iceState(ice) { watchIce("pub", ice); },
      });
    },
    error(e) {
      if (FINAL.includes(state.status) || session !== attempt) return;  // an old session's last words
      if (!everConnected) { fail("The meeting service is unavailable: " + e); scheduleRetryQuietly(); return; }
      if (state.status === "reconnecting") { scheduleRetry(); return; }
      connectionLost();
    },
  });
}

// --- watching without publishing (observers) -------------------------------------------
// An observer's page reaching Janus through the server's relay (`watchOnly`) has no publisher
// handle (the relay refuses one): a handle of its own lists the room's publishers when joining and
// every few seconds; the page subscribes to new ones and drops those gone from the list.
let lister = null, listerSession = null;
function watch() {
  const session = janus;
  session.attach({
    plugin: "janus.plugin.videoroom",
    success(handle) {
      if (session !== janus) return;
      lister = handle; listerSession = session;
      everConnected = true;
      state.reconnects = 0;
      if (state.status === "reconnecting") rejoined();
      setStatus("joined", "Connected. You are watching and listening.");
      listPublishers();
      loadPeople();
      openChat();
    },
    error(e) { fail("Could not join: " + e); },
  });
}

function listPublishers() {
  const handle = lister;
  if (!handle || !config.watchOnly || listerSession !== janus) return;
  handle.send({
    message: { request: "listparticipants", room: config.room },
    success(result) {
      if (handle !== lister || listerSession !== janus) return;
      if (!result || result.error_code === 426) { connectionLost(); return; }  // room gone
      const live = (result.participants || []).filter((p) => p.publisher);
      state.present = new Set((result.participants || []).map((p) => p.id));
      for (const id of Object.keys(state.feeds).map(Number)) {
        if (!live.some((p) => p.id === id)) removeFeed(id);
      }
      // not `state.feeds`: a tile kept through a reconnection still needs its subscription
      subscribeTo(live.filter((p) => !subscribed.has(p.id + ":*")).map((p) => ({ id: p.id, display: p.display })));
      for (const p of live) if (subscribed.has(p.id + ":*")) resubscribeWithoutVideo(p.id);
    },
  });
}

// A subscription to a whole feed holds the streams the publisher had then. One who turns a
// camera on or shares a screen later (or whose relay to this server was announced again with
// it) says so in the chat, but the listing has no streams: when such a video has not come for
// two listings, the page asks for the feed again, unsubscribing and subscribing in one update.
const videoMissingSince = new Map();
function resubscribeWithoutVideo(id) {
  const p = state.peers[id];
  const wantsVideo = p && p.told && (p.cam || p.screen);
  const hasVideo = Object.values(state.mids).some((m) => m.feed === id && m.type === "video");
  if (!wantsVideo || hasVideo || !sub || subJoining) { videoMissingSince.delete(id); return; }
  const since = videoMissingSince.get(id);
  if (since === undefined) { videoMissingSince.set(id, Date.now()); return; }
  if (Date.now() - since < 5000) return;
  videoMissingSince.set(id, Date.now());
  sub.send({ message: { request: "update", unsubscribe: [{ feed: id }], subscribe: [{ feed: id }] } });
}
setInterval(listPublishers, 3000);
// --- end of watching without publishing ------------------------------------------------

// --- the stage: an observer a moderator brings on stage publishes until sent back -------
// The people list says who is on stage; when that changes for this observer (or Janus puts
// them out, as going back does) the page joins again with a fresh config: as a publisher
// with camera and microphone, or as a watcher again.
let stageWired = config.publish;
function checkStage() {
  if (config.role !== "observer" || FINAL.includes(state.status) || state.status === "reconnecting") return;
  const me = state.people.find((p) => isMe(p.participant));
  if (me && !!me.onStage !== !!config.onStage) restage();
}

async function restage() {
  setStatus("reconnecting", "Joining again…");
  let fresh = null;
  try { fresh = await freshConfig(); } catch (e) { fresh = null; }
  if (fresh === "removed") { end("removed", "You are not in this meeting any more."); return; }
  if (fresh === "ended") { end("ended", "This meeting has ended."); return; }
  teardown();
  if (!fresh) { scheduleRetry(); return; }
  config = fresh;
  for (const kind of ["audio", "video", "screen"]) {
    if (local[kind]) { local[kind].stop(); local[kind] = null; }
  }
  for (const id of ["mic", "cam", "hand"]) $(id).hidden = !config.publish;
  if (config.publish && !stageWired) {
    stageWired = true;
    $("mic").addEventListener("click", toggleMic);
    $("cam").addEventListener("click", toggleCamera);
    $("hand").addEventListener("click", () => setHand(!state.me.hand));
  }
  if (!config.publish) dropTile(state.myId);
  connect();
}
// --- end of the stage --------------------------------------------------------------------

function scheduleRetryQuietly() {
  // the first connection failed: keep the message, try again in the background
  everConnected = true;
  state.status = "reconnecting";
  scheduleRetry();
}

// --- the waiting room ---------------------------------------------------------------
const WAITING_POLL_MS = 2000;

/** Ask the server whether a moderator answered this knock: the join config once admitted. */
async function waitForModerator() {
  let answer = null, body = {};
  try {
    answer = await fetch(config.join, { credentials: "same-origin", cache: "no-store" });
    body = await answer.json();
  } catch (e) { answer = null; }
  if (answer && answer.ok && body.token) {
    config = body;
    state.myId = config.participant;
    $("waiting-room").hidden = true;
    document.body.classList.remove("room-waiting");
    setStatus("connecting", "Connecting…");
    showRecording(config.recording);
    start();
    return;
  }
  if (answer && body.reason === "denied") { end("denied", body.error); return; }
  if (answer && answer.status === 410) { end("ended", "This meeting has ended."); return; }
  if (answer && answer.status === 404) { end("removed", "You are not in this meeting any more."); return; }
  setTimeout(waitForModerator, WAITING_POLL_MS);  // still waiting, or the server was not reached
}

// --- start --------------------------------------------------------------------------
document.body.dataset.tab = "people";
setUpControls();
if ($("knock-notice")) $("knock-notice").addEventListener("click", showKnocks);
render();
setInterval(() => { if (janus) loadPeople(); }, 4000);
setInterval(measureSpeakers, 200);  // audio levels: the speaker found within a fifth of a second
window.addEventListener("pagehide", () => { if (janus) janus.destroy({ unload: true, notifyDestroyed: false }); });
if (config.waiting) {
  document.body.classList.add("room-waiting");
  $("waiting-room").hidden = false;
  setStatus("waiting", "Waiting for a moderator to let you in.");
  setTimeout(waitForModerator, WAITING_POLL_MS);
} else {
  start();
}

function start() {
  autoOpen();
  Janus.init({
    debug: ["warn", "error"],
    callback() {
      if (!Janus.isWebrtcSupported()) { fail("This browser cannot join video meetings."); return; }
      // A restarted Janus answers the old session's long poll with "no such session" (458),
      // which janus.js only logs: that too means the connection is lost.
      const logError = Janus.error;
      Janus.error = (...args) => {
        if (janus && /Ooops: 458\b/.test(String(args[0]))) connectionLost();
        logError(...args);
      };
      setInterval(() => { if (janus && !janus.isConnected()) connectionLost(); }, 3000);
      connect();
    },
  });
}

window.onstreamRoomStats = function () {
  return Object.entries(state.remote).map(([mid, r]) => ({
    mid, kind: r.kind, feed: r.feed, live: r.live, readyState: r.track.readyState,
    videoWidth: r.kind === "video" ? r.el.videoWidth : 0, currentTime: r.el.currentTime,
  }));
};

/** RTP counters of both connections: {outbound: {audio, video}, inbound: {feed: {audio, video}}}. */
window.onstreamRoomRtp = async function () {
  const result = { outbound: {}, inbound: {} };
  const pubPc = pub && pub.webrtcStuff && pub.webrtcStuff.pc;
  if (pubPc) {
    (await pubPc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp") {
        const was = result.outbound[s.kind] || { packets: 0, frames: 0 };
        result.outbound[s.kind] = { packets: was.packets + (s.packetsSent || 0), frames: was.frames + (s.framesEncoded || 0) };
      }
    });
  }
  const subPc = sub && sub.webrtcStuff && sub.webrtcStuff.pc;
  if (subPc) {
    (await subPc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp" || !state.mids[s.mid]) return;
      const feed = state.mids[s.mid].feed;
      const entry = result.inbound[feed] || (result.inbound[feed] = {});
      entry[s.kind] = { packets: s.packetsReceived || 0, frames: s.framesDecoded || 0 };
    });
  }
  return result;
};

/** Each connection's ICE state and the credentials (ufrags) it uses now, and the restarts. */
window.onstreamRoomIce = function () {
  const ufrag = (description) => description && (/a=ice-ufrag:(\S+)/.exec(description.sdp) || [])[1];
  const describe = (handle) => {
    const pc = handle && handle.webrtcStuff && handle.webrtcStuff.pc;
    if (!pc) return null;
    return { state: pc.iceConnectionState, local: ufrag(pc.localDescription), remote: ufrag(pc.remoteDescription) };
  };
  return { pub: describe(pub), sub: describe(sub), restarts: state.iceRestarts || 0 };
};
