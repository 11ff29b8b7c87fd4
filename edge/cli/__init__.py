"""Command-line entry points of the product (``edge-sim``, ``edge-record`` and the other tools)."""
