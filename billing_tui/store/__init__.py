"""store: see HACKING.md."""
