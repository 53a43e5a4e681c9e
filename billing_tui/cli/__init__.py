"""cli: the ``billing-tui`` shell — the parser (``main``), argparse → connection options
(``options``), how a command or the TUI gets its Session (``opening``), one module per
subcommand. The top layer: nothing imports it."""
