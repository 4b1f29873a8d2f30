"""Fixtures for the native tests. ``try_syscall``, the C helper they run in confined
children, is a session fixture of tests/conftest.py, shared with the system tests."""
