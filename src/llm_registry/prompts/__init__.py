"""Prompt templates: the registration check and sandboxed rendering."""
