"""desk: the operator's use cases — the one :class:`~billing_tui.desk.session.Session` façade that
the TUI and every CLI command call, the write-ahead executor, the case-record schema, the
connection, the account sweep, and the case book (the case log without a connection, for
``billing-tui cases``). Orchestrates core, store and gateway; never imports Textual.
"""
