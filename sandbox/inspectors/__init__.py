"""Inspection of what agents read, run and write: pure functions over text, no I/O."""
