"""Reusable Textual widgets of the workstation."""
