"""``key=value`` camera options from the command line, typed the way a config file would be."""

from __future__ import annotations

import argparse
from typing import Any

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def parse_value(text: str) -> Any:
    """int, then float, then bool (true/false, yes/no, on/off), else the string itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    return text


def parse_options(pairs: list[str]) -> dict[str, Any]:
    """Turn ``["seed=3", "paced=false"]`` into ``{"seed": 3, "paced": False}``."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(
                f"camera option {pair!r} is not key=value (e.g. --option camera_model=dcam710)"
            )
        options[key.strip()] = parse_value(value.strip())
    return options
