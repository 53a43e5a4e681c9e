"""store: what billing-tui keeps on this machine — config (``config``), where the Stripe key
is kept (``credentials``; the key as a value is ``billing_tui.core.keys``) and the case log
(``caselog``).

Imports only ``billing_tui.core`` (plus tinydb, keyring, platformdirs, filelock); see HACKING.md.
"""
