"""Sessions with their invitees and their e-mail: the work that spans both resources."""
