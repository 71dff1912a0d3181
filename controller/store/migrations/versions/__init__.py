"""Migration scripts, oldest first (revision ids are numbered)."""
