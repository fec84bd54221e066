"""Invitees: people invited to one session, each with a personal one-click link."""
