"""TensorRT's logger routed into Python logging (so its lines reach the journal with ours).

TensorRT reports through an ``ILogger`` the application supplies; its INFO level is chatty (a line
per tactic while building), so it maps to DEBUG, and VERBOSE to DEBUG too.
"""

from __future__ import annotations

import logging
from types import ModuleType

#: TensorRT severity name → Python logging level.
LEVEL_OF_SEVERITY = {
    "INTERNAL_ERROR": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARNING": logging.WARNING,
    "INFO": logging.DEBUG,
    "VERBOSE": logging.DEBUG,
}


def python_level(severity: object) -> int:
    """The logging level for a TensorRT severity (an enum member, or its name)."""
    name = getattr(severity, "name", str(severity)).rsplit(".", 1)[-1]
    return LEVEL_OF_SEVERITY.get(name, logging.WARNING)


def tensorrt_logger(trt: ModuleType, logger_name: str = "engines.tensorrt.trt"):
    """An ``trt.ILogger`` that forwards to the Python logger ``logger_name``.

    Keep a reference to it for as long as the builder or runtime that uses it lives."""
    target = logging.getLogger(logger_name)

    class PythonLogger(trt.ILogger):
        def __init__(self) -> None:
            trt.ILogger.__init__(self)

        def log(self, severity, msg) -> None:
            target.log(python_level(severity), "%s", msg)

    return PythonLogger()
