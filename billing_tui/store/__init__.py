"""store: what billing-tui keeps on this machine — config (``config``), the Stripe key
(``keys`` the value, ``credentials`` where it is kept) and the case log (``caselog``).

Imports only ``billing_tui.core`` (plus tinydb, keyring, platformdirs, filelock); see HACKING.md.
"""
