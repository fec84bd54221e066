"""Sessions: the scheduled web conferences an account owns."""
