"""Which librealsense can drive an SR300: the support window and the message that says what to install.

librealsense dropped the SR300/SR305 driver in 2.55.1 ("Removed support for L515, SR300"); the
PyPI wheel ``pyrealsense2==2.54.2.5684`` (CPython 3.11, x86_64) is the last one with it, and on
Jetson (aarch64) there is no usable wheel: librealsense ≤ 2.54 is built from source. 2.54 has
no ``pyrealsense2.__version__``, so the version comes from the installed distribution.
"""

from __future__ import annotations

import importlib.metadata

from camera_plugins.base import CameraUnsupported

#: The last release line with the SR300 driver.
LAST_SR300_RELEASE = (2, 54)
#: What the ``realsense`` extra pins (the last wheel with the driver).
PINNED_WHEEL = "pyrealsense2==2.54.2.5684"

INSTALL_ADVICE = (
    f"install {PINNED_WHEEL} (CPython 3.11 on x86_64: pip install 'edge-fas[realsense]'), or on "
    "Jetson/aarch64 build librealsense 2.54 or older from source with -DBUILD_PYTHON_BINDINGS=ON "
    "-DBUILD_WITH_CUDA=ON"
)


def installed_sdk_version() -> str:
    """The installed pyrealsense2 version, or '' for a source build that registered no metadata."""
    for distribution in ("pyrealsense2", "pyrealsense2-aarch64"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    import pyrealsense2 as rs

    return str(getattr(rs, "__version__", ""))


def parse_version(version: str) -> tuple[int, ...]:
    """'2.54.2.5684' → (2, 54, 2, 5684); ValueError naming the text when it is not numeric."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError as e:
        raise ValueError(f"librealsense version {version!r} is not dotted numbers") from e


def require_sr300_support(version: str) -> None:
    """Raise CameraUnsupported when librealsense ``version`` has no SR300 driver.

    An empty version (a source build without metadata) passes: such a build is what the
    Jetson guide asks for, and the device search then finds the camera or says it found none."""
    if not version:
        return
    if parse_version(version)[:2] > LAST_SR300_RELEASE:
        raise CameraUnsupported(
            f"sr300: librealsense {version} has no SR300/SR305 driver (it was removed in 2.55.1); "
            f"{INSTALL_ADVICE}")


def import_pyrealsense2():
    """The pyrealsense2 module, or CameraUnsupported saying how to install it."""
    try:
        import pyrealsense2 as rs
    except ImportError as e:
        raise CameraUnsupported(f"sr300: pyrealsense2 cannot be imported ({e}); {INSTALL_ADVICE}; the wheel "
                                "also needs the system packages libusb-1.0-0 and libudev1") from e
    return rs
