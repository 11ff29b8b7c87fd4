"""Edge daemon that tells a live face from a presentation attack on multi-modal cameras."""

__version__ = "0.1.0"
