"""The API's handlers, one module per resource family; :mod:`billing_tui.sandbox.router` maps
``METHOD /v1/…`` to them.

Reads (list, retrieve, nested lists, the account) are in :mod:`.reads`; writes validate every
parameter before changing anything and build new objects through
:mod:`billing_tui.sandbox.resources`, so an object made through the API has the same shape as a
seeded one. Sandbox payment rule: a payment succeeds when the card is not expired (its expiry
month has not ended at the sandbox clock) and fails with ``expired_card`` otherwise.
"""
