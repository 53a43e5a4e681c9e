"""core: the pure rules of billing support — what the data means and what may be done about it.

Frozen model values (``model``), the one vocabulary (``text``), snapshot questions (``queries``),
anomaly detectors, classification, action plans, the handoff, account analysis and portal
policy. No I/O, no Textual, no stripe: core imports only core and the standard library (an
import-linter contract in pyproject.toml, checked by tests/contracts).
"""
