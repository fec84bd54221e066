// The meeting room: joins the session's Janus VideoRoom with the token this page was given,
// publishes camera and microphone (not for observers), receives everybody else through one
// subscriber handle, and chats through the TextRoom of the same number. Moderators' actions
// go to Onstream (which holds the room secret), never to Janus directly.
// `window.onstreamRoom` exposes the state for people debugging and for the browser tests.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("room-config").textContent);
  const $ = (id) => document.getElementById(id);
  const state = window.onstreamRoom = {
    status: "connecting", myId: config.participant, privateId: null, error: null,
    feeds: {}, mids: {}, remote: {}, people: [], messages: [], mutedByModerator: {},
    publishing: false,
  };
  let janus = null, pub = null, sub = null, subJoining = false, pendingStreams = [];
  let chat = null, chatReady = false, localStream = null, screenTrack = null;

  function setStatus(status, text) {
    state.status = status;
    $("status").textContent = text;
  }

  function fail(text) {
    state.error = text;
    setStatus("error", text);
  }

  function nameOf(feedId) {
    const person = state.people.find((p) => p.participant === feedId);
    if (person) return person.name + " · " + person.role;
    return (state.feeds[feedId] && state.feeds[feedId].display) || "Guest";
  }

  // --- tiles --------------------------------------------------------------------------
  function tile(feedId, label) {
    let el = $("tile-" + feedId);
    if (!el) {
      el = document.createElement("figure");
      el.className = "tile";
      el.id = "tile-" + feedId;
      const caption = document.createElement("figcaption");
      caption.className = "label";
      caption.dir = "auto"; // a name shown as it reads, apart from the page around it
      el.appendChild(caption);
      $("stage").appendChild(el);
    }
    el.querySelector(".label").textContent = label;
    return el;
  }

  function removeFeed(feedId) {
    delete state.feeds[feedId];
    const el = $("tile-" + feedId);
    if (el) el.remove();
    for (const [mid, r] of Object.entries(state.remote)) if (r.feed === feedId) delete state.remote[mid];
    renderPeople();
  }

  // --- people -------------------------------------------------------------------------
  async function loadPeople() {
    try {
      const answer = await fetch(config.people, { credentials: "same-origin" });
      if (answer.ok) state.people = (await answer.json()).people;
    } catch (e) { /* the next round tries again */ }
    renderPeople();
  }

  function inRoom(person) {
    return person.participant === state.myId || person.participant in state.feeds ||
      (state.present && state.present.has(person.participant));
  }

  function renderPeople() {
    const list = $("people");
    list.replaceChildren();
    for (const person of state.people.filter(inRoom)) {
      const item = document.createElement("li");
      item.dataset.participant = String(person.participant);
      const name = document.createElement("bdi"); // a name's direction stays inside it
      name.textContent = person.name + (person.participant === state.myId ? " (you)" : "");
      const role = document.createElement("span");
      role.className = "role";
      role.textContent = person.role;
      item.append(name, role);
      if (config.moderator && person.participant !== state.myId) {
        if (person.participant in state.feeds) {
          item.append(actionButton("Mute", { action: "mute", participant: person.participant, kind: "audio" }));
          item.append(actionButton("Unmute", { action: "unmute", participant: person.participant, kind: "audio" }));
        }
        item.append(actionButton("Remove", { action: "remove", participant: person.participant }));
      }
      list.appendChild(item);
    }
  }

  function actionButton(text, body) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = text;
    button.dataset.action = body.action;
    button.addEventListener("click", () => moderate(body));
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
  const admitted = (id) => state.people.some((person) => person.participant === id);

  // Only publishers Onstream let in (and did not remove) are received: Janus's own list can
  // still hold someone whose browser died without leaving, until their session times out.
  async function subscribeTo(publishers) {
    if (publishers.some((p) => p.id !== state.myId && !admitted(p.id))) await loadPeople();
    const streams = [];
    for (const p of publishers) {
      if (p.id === state.myId || !admitted(p.id)) continue;
      state.feeds[p.id] = { display: p.display, streams: p.streams || [] };
      for (const s of p.streams || []) if (!s.disabled && s.type !== "data") streams.push({ feed: p.id, mid: s.mid });
    }
    renderPeople();
    if (!streams.length) return;
    if (sub) { sub.send({ message: { request: "subscribe", streams } }); return; }
    if (subJoining) { pendingStreams.push(...streams); return; }
    subJoining = true;
    janus.attach({
      plugin: "janus.plugin.videoroom",
      success(handle) {
        sub = handle;
        sub.send({ message: { request: "join", ptype: "subscriber", room: config.room,
          private_id: state.privateId, token: config.token, streams } });
      },
      error(e) { fail("Could not receive the others: " + e); },
      onmessage(msg, jsep) {
        if (msg.error) { fail(msg.error); return; }
        if (msg.videoroom === "attached") {
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
            success(answer) { sub.send({ message: { request: "start", room: config.room }, jsep: answer }); },
            error(e) { fail("Could not receive the others: " + e); },
          });
        }
      },
      onremotetrack(track, mid, on) {
        const info = state.mids[mid] || {};
        if (!on) { if (state.remote[mid]) state.remote[mid].live = false; return; }
        if (state.remote[mid] && state.remote[mid].el) { state.remote[mid].live = true; return; }
        const el = document.createElement(track.kind === "video" ? "video" : "audio");
        el.autoplay = true;
        el.playsInline = true;
        Janus.attachMediaStream(el, new MediaStream([track]));
        if (track.kind === "video") tile(info.feed, nameOf(info.feed)).appendChild(el);
        else document.body.appendChild(el);
        state.remote[mid] = { kind: track.kind, feed: info.feed, el, live: true, track };
      },
    });
  }

  // --- sending ------------------------------------------------------------------------
  function publish() {
    pub.createOffer({
      tracks: [{ type: "audio", capture: true, recv: false }, { type: "video", capture: true, recv: false }],
      success(jsep) { pub.send({ message: { request: "configure", audio: true, video: true }, jsep }); },
      error(e) { fail("Camera or microphone unavailable: " + (e && e.message || e)); },
    });
  }

  function onMessage(msg, jsep) {
    const event = msg.videoroom;
    if (msg.error) { fail(msg.error_code === 433 ? "You may not enter this meeting any more." : msg.error); return; }
    if (event === "joined") {
      state.privateId = msg.private_id;
      setStatus("joined", config.publish ? "Connected. Starting your camera…" : "Connected. You are watching and listening.");
      if (config.publish) publish();
      subscribeTo(msg.publishers || []);
      state.present = new Set((msg.attendees || []).map((a) => a.id));
      loadPeople();
      openChat();
    } else if (event === "destroyed") {
      end("ended", "The meeting has ended.");
    } else if (event === "event") {
      if (msg.publishers) subscribeTo(msg.publishers);
      if (msg.joining && state.present) { state.present.add(msg.joining.id); loadPeople(); }
      if (msg.leaving === "ok" && msg.reason === "kicked") { end("removed", "A moderator removed you from the meeting."); return; }
      for (const key of ["leaving", "unpublished", "kicked"]) {
        if (msg[key] !== undefined && msg[key] !== "ok") {
          if (state.present && key !== "unpublished") state.present.delete(msg[key]);
          removeFeed(msg[key]);
        }
      }
      if (msg.moderation && msg.id === state.myId) {
        state.mutedByModerator[msg.mid] = msg.moderation === "muted";
        setStatus(state.status, msg.moderation === "muted" ? "A moderator muted you." : "A moderator unmuted you.");
      }
    }
    if (jsep) pub.handleRemoteJsep({ jsep });
  }

  // --- chat (TextRoom over a data channel) --------------------------------------------
  function openChat() {
    janus.attach({
      plugin: "janus.plugin.textroom",
      success(handle) { chat = handle; chat.send({ message: { request: "setup" } }); },
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
        chatReady = true;
        $("chat-text").disabled = false;
        document.querySelector("#chat-form button").disabled = false;
      },
      ondata(data) {
        const msg = JSON.parse(data);
        if (msg.textroom === "message") showMessage(msg.display || nameOf(Number(msg.from)), msg.text);
      },
    });
    $("chat-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = $("chat-text").value.trim();
      if (!text || !chatReady) return;
      chat.data({ text: JSON.stringify({ textroom: "message", transaction: Janus.randomString(12), room: config.room, text }) });
      showMessage(config.name + " (you)", text);
      $("chat-text").value = "";
    });
  }

  function showMessage(from, text) {
    state.messages.push({ from, text });
    const item = document.createElement("li");
    const who = document.createElement("strong");
    const name = document.createElement("bdi"); // names and messages cannot reorder each other
    name.textContent = from;
    who.append(name, ": ");
    const said = document.createElement("bdi");
    said.textContent = text;
    item.append(who, said);
    $("messages").appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  // --- controls -----------------------------------------------------------------------
  function toggle(button, on, labels) {
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? labels[0] : labels[1];
  }

  function setUpControls() {
    if (config.publish) {
      const mic = $("mic"), cam = $("cam"), screen = $("screen");
      mic.hidden = cam.hidden = false;
      mic.addEventListener("click", () => {
        if (pub.isAudioMuted()) pub.unmuteAudio(); else pub.muteAudio();
        toggle(mic, !pub.isAudioMuted(), ["Mute", "Unmute"]);
      });
      cam.addEventListener("click", () => {
        if (pub.isVideoMuted()) pub.unmuteVideo(); else pub.muteVideo();
        toggle(cam, !pub.isVideoMuted(), ["Stop video", "Start video"]);
      });
      if (navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia) {
        screen.hidden = false;
        screen.addEventListener("click", shareScreen);
      }
    }
    $("leave").addEventListener("click", () => end("left", "You left the meeting."));
    const end_ = $("end");
    if (end_) end_.addEventListener("click", async () => {
      if (end_.dataset.armed !== "1") {  // a second click confirms: no dialog to dismiss
        end_.dataset.armed = "1";
        end_.textContent = "Click again to end for all";
        setTimeout(() => { end_.dataset.armed = ""; end_.textContent = "End meeting for all"; }, 5000);
        return;
      }
      await moderate({ action: "end" });
    });
    const record = $("record");
    if (record) {
      const show = (on) => {
        state.recording = on;
        record.textContent = on ? "Stop recording" : "Start recording";
        $("recording").hidden = !on;
      };
      show(config.recording);
      record.addEventListener("click", async () => {
        const result = await moderate({ action: "record", on: !state.recording });
        if (result.ok) show(result.recording);
      });
    } else {
      $("recording").hidden = !config.recording;
    }
  }

  async function shareScreen() {
    const button = $("screen");
    if (screenTrack) {
      screenTrack.stop();
      return;
    }
    let display;
    try { display = await navigator.mediaDevices.getDisplayMedia({ video: true }); } catch (e) { return; }
    screenTrack = display.getVideoTracks()[0];
    pub.replaceTracks({ tracks: [{ type: "video", mid: "1", capture: screenTrack }] });
    button.textContent = "Stop sharing";
    screenTrack.addEventListener("ended", () => {
      screenTrack = null;
      button.textContent = "Share screen";
      pub.replaceTracks({ tracks: [{ type: "video", mid: "1", capture: true }] });
    });
  }

  function autoOpen() {
    const viewer = $("viewer");
    const link = (config.autoOpen || [])[0];
    if (!viewer || !link) return;
    viewer.src = link;
    viewer.hidden = false;
  }

  function end(status, text) {
    setStatus(status, text);
    for (const id of ["mic", "cam", "screen", "record", "end", "leave"]) if ($(id)) $(id).disabled = true;
    if (janus) janus.destroy({ notifyDestroyed: false, cleanupHandles: true });
    janus = null;
  }

  // --- start --------------------------------------------------------------------------
  setUpControls();
  autoOpen();
  setInterval(() => { if (janus) loadPeople(); }, 4000);
  window.addEventListener("pagehide", () => { if (janus) janus.destroy({ unload: true, notifyDestroyed: false }); });
  Janus.init({
    debug: ["warn", "error"],
    callback() {
      if (!Janus.isWebrtcSupported()) { fail("This browser cannot join video meetings."); return; }
      janus = new Janus({
        server: config.janus,
        iceServers: config.iceServers,
        destroyOnUnload: true,
        success() {
          janus.attach({
            plugin: "janus.plugin.videoroom",
            success(handle) {
              pub = handle;
              pub.send({ message: { request: "join", ptype: "publisher", room: config.room,
                id: config.participant, display: config.name, token: config.token } });
            },
            error(e) { fail("Could not join: " + e); },
            onmessage: onMessage,
            onlocaltrack(track, on) {
              if (!on || track.kind !== "video") return;
              if (!localStream) localStream = new MediaStream();
              localStream.getVideoTracks().forEach((t) => localStream.removeTrack(t));
              localStream.addTrack(track);
              let el = $("local-video");
              if (!el) {
                el = document.createElement("video");
                el.id = "local-video";
                el.muted = true;
                el.autoplay = true;
                el.playsInline = true;
                tile("me", config.name + " (you) · " + config.role).appendChild(el);
              }
              Janus.attachMediaStream(el, localStream);
            },
            webrtcState(up) {
              state.publishing = up;
              if (up) setStatus("publishing", "You are in the meeting.");
            },
          });
        },
        error(e) { if (!["left", "removed", "ended"].includes(state.status)) fail("The meeting service is unavailable: " + e); },
      });
    },
  });

  window.onstreamRoomStats = function () {
    return Object.entries(state.remote).map(([mid, r]) => ({
      mid, kind: r.kind, feed: r.feed, live: r.live, readyState: r.track.readyState,
      videoWidth: r.kind === "video" ? r.el.videoWidth : 0, currentTime: r.el.currentTime,
    }));
  };
})();
