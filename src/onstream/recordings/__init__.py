"""Recordings: what the meeting service recorded in a session, and its media."""
