"""A package that ships templates (tests)."""
