"""The journal contract suite and backend-specific tests."""
