"""The telephone bridge: callers join a session's meeting with its `session_access_code`.

    sip.py        PJSIP (pjsua2) in its own thread: answers calls, plays prompts, hears DTMF
    dialog.py     what the caller typed: codes ended by '#', '*6' to mute oneself
    prompts.py    the spoken prompts, made once with espeak-ng and kept as WAV files
    admission.py  a code to a meeting: checks, guess limits, letting the caller in
    audio.py      the room's other voices for one caller: Opus decoded, mixed to 8 kHz
    publisher.py  the caller as a publisher of the session's VideoRoom (aiortc, WebRTC)
    bridge.py     one call from ringing to hang-up, and the `onstream phone` service

The caller enters the meeting as any browser does: an admission (role participant, name
"Phone ··· 1234"), a Janus token, and a VideoRoom publisher with the admission's id. So the
room page, the people list, moderators' mute and remove, presence webhooks and recordings
need nothing of their own for callers.
"""
