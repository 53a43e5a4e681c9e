"""Subcommands of the ``billing-tui`` command line, one module each."""
