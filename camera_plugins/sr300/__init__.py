"""The ``sr300`` camera: Intel RealSense SR300/SR305 through pyrealsense2 (librealsense ≤ 2.54)."""

from camera_plugins.sr300.plugin import SR300Camera, SR300Options

__all__ = ["SR300Camera", "SR300Options"]
