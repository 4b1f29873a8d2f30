"""Sandbox state: content-addressed saved states, snapshots and diffs (SandboxManager)."""
