"""core: see HACKING.md."""
