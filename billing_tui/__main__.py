"""``python -m billing_tui`` is the same as the ``billing-tui`` console script."""

from billing_tui.cli.main import main

raise SystemExit(main())
