"""The ``dcam710`` camera: PICO/Vzense DCAM710 through our own ctypes binding of the Vzense BaseSDK."""

from camera_plugins.dcam710.plugin import DCAM710Camera, DCAM710Options

__all__ = ["DCAM710Camera", "DCAM710Options"]
