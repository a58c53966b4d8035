"""The account store contract suite and backend-specific tests."""
