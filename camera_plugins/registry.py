"""Camera plugins are found by name through the ``edge.cameras`` entry-point group.

A third party adds a camera by shipping a package that declares, in its pyproject::

    [project.entry-points."edge.cameras"]
    mycam = "mypkg.camera:MyCamera"
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pydantic

from camera_plugins.base import CameraPlugin, CameraUnsupported

ENTRY_POINT_GROUP = "edge.cameras"


class UnknownPlugin(LookupError):
    """No installed plugin has this name."""


def installed_plugins() -> dict[str, EntryPoint]:
    """Name → entry point of every installed camera plugin."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def plugin_class(name: str) -> type[CameraPlugin]:
    plugins = installed_plugins()
    if name not in plugins:
        known = ", ".join(sorted(plugins)) or "none (is the package installed?)"
        raise UnknownPlugin(f"no camera plugin named {name!r}; installed plugins: {known}")
    cls = plugins[name].load()
    if not (isinstance(cls, type) and issubclass(cls, CameraPlugin)):
        raise UnknownPlugin(f"entry point {name!r} ({plugins[name].value}) is not a CameraPlugin")
    return cls


def create_camera(name: str, camera_id: str, options: dict[str, Any] | None = None) -> CameraPlugin:
    """Build a plugin from a plain options mapping, validating it against the plugin's schema."""
    cls = plugin_class(name)
    try:
        typed = cls.Options.model_validate(options or {})
    except pydantic.ValidationError as e:
        raise CameraUnsupported(f"camera {camera_id!r} ({name}): invalid options: {e}") from e
    return cls(camera_id, typed)
