"""Inference backends behind one contract (``Engine``); see ``engines.runtime.base``."""

from engines.runtime.base import AFA_INPUT_CHW, Engine, EngineError, EngineInfo
from engines.runtime.registry import BACKENDS, backend_class, backend_for_file, load_engine

__all__ = ["AFA_INPUT_CHW", "BACKENDS", "Engine", "EngineError", "EngineInfo", "backend_class",
           "backend_for_file", "load_engine"]
