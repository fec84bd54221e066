// Cameras, microphones and speakers, shared by the lobby and the room: what a person chose
// in the lobby is remembered in this browser (localStorage) and used in the room. Devices
// are asked for one by one, so a denied camera still leaves the microphone (and the other
// way round), and a person with neither can still watch and listen.

const KEY = "onstream.devices";

/** The remembered choices: {camera, microphone, speaker: deviceId, useCamera, useMicrophone}. */
export function choices() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
}

export function remember(change) {
  try { localStorage.setItem(KEY, JSON.stringify({ ...choices(), ...change })); } catch (e) { /* private mode */ }
}

function constraint(deviceId) {
  return deviceId ? { deviceId: { ideal: deviceId } } : true;
}

/** One track of `kind` ("audio" or "video"), or null with the reason in `problems`. */
export async function openTrack(kind, problems = []) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    problems.push("This browser cannot use a camera or microphone here (the page needs https).");
    return null;
  }
  const wanted = choices();
  const device = kind === "audio" ? wanted.microphone : wanted.camera;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraint(device) });
    return stream.getTracks()[0] || null;
  } catch (e) {
    const what = kind === "audio" ? "microphone" : "camera";
    problems.push(e && e.name === "NotAllowedError" ? `The ${what} is not allowed.` : `No ${what}.`);
    return null;
  }
}

/** Fill the <select>s in `pickers` ({camera, microphone, speaker}) and call `onChange(kind, id)`. */
export async function fillPickers(pickers, onChange) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  const wanted = choices();
  const kinds = { camera: "videoinput", microphone: "audioinput", speaker: "audiooutput" };
  for (const [name, kind] of Object.entries(kinds)) {
    const select = pickers[name];
    if (!select) continue;
    const found = devices.filter((d) => d.kind === kind);
    const canPick = name !== "speaker" || "setSinkId" in HTMLMediaElement.prototype;
    select.closest("label, .picker").hidden = !found.length || !canPick;
    const before = select.value || wanted[name] || "";
    select.replaceChildren();
    found.forEach((d, i) => {
      const option = new Option(d.label || `${name[0].toUpperCase() + name.slice(1)} ${i + 1}`, d.deviceId);
      select.add(option);
    });
    if (found.some((d) => d.deviceId === before)) select.value = before;
    if (!select.dataset.wired) {
      select.dataset.wired = "1";
      select.addEventListener("change", () => {
        remember({ [name]: select.value });
        onChange(name, select.value);
      });
    }
  }
}
