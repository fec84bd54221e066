"""The meeting room: who may enter a session's room and when; Janus moves the media."""
