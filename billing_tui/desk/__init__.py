"""desk: see HACKING.md."""
