"""Command-line entry points: ``edge-sim`` (the simulator demo) and ``edge-record`` (recorder)."""
