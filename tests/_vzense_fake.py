"""The fake Vzense SDK for the dcam710 tests: compiled from ``tests/vzense_fake/fake_vzense.c``
with gcc at test time, fed with frames the simulator renders as a DCAM710 sends them.

The frames are written into a directory the fake reads at ``Ps2_Initialize`` (the folder
``frames`` next to the library, or ``$FAKE_VZENSE_DIR``): depth and IR as the sensor sends them (uint16, 0xFFFF where there is
no depth), colour BGR, MappedDepth and MappedIR (depth and IR registered into the colour image,
depth 0xFFFF where none landed, as the SDK's mapper leaves it) and the calibration as the SDK's structs.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from camera_plugins.dcam710.structs import PsCameraExtrinsicParameters, PsCameraParameters
from camera_plugins.sim.render import SimRenderer
from camera_plugins.sim.scenarios import demo_scene
from edge.processing.registration import DepthRegistration

SOURCE = Path(__file__).resolve().parent / "vzense_fake" / "fake_vzense.c"
INVALID = 0xFFFF


def compile_fake(out_dir: Path, abi: str = "3.5") -> Path:
    """Build the fake library for one ABI; returns the .so path (named as the vendor names it)."""
    if shutil.which("gcc") is None:
        raise RuntimeError("gcc is needed to build the fake Vzense SDK (apt-get install gcc)")
    name = "libvzense_api.so" if abi == "3.5" else "libpicozense_api.so"
    out = Path(out_dir) / name
    flags = ["-DFAKE_ABI_30"] if abi == "3.0" else []
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", *flags, "-o", str(out), str(SOURCE)],
                   check=True, capture_output=True, text=True)
    return out


@dataclass(frozen=True)
class FakeFrames:
    """What the fake serves, in the order it serves it."""

    directory: Path
    depth_raw: list[np.ndarray]
    ir: list[np.ndarray]
    colour_bgr: list[np.ndarray]
    mapped_depth_raw: list[np.ndarray]
    mapped_ir: list[np.ndarray]
    renderer: SimRenderer


def fake_camera(directory: Path, library: Path, frames: FakeFrames) -> Path:
    """A private fake camera: a copy of the library (dlopen gives a new path its own state, so
    tests never share one) with the frames it serves beside it. Returns the library's path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "frames").symlink_to(frames.directory.resolve(), target_is_directory=True)
    return Path(shutil.copy2(library, directory / library.name))


def write_fake_frames(directory: Path, count: int, colour_resolution: str = "640x480", seed: int = 0,
                      first_index: int = 0) -> FakeFrames:
    """Render ``count`` demo frames of the simulated DCAM710 into the fake's frame directory."""
    directory.mkdir(parents=True, exist_ok=True)
    renderer = SimRenderer("dcam710", colour_resolution, seed)
    raws = [renderer.render_raw(demo_scene(i), i) for i in range(first_index, first_index + count)]
    registration = DepthRegistration(renderer.depth_intrinsics, renderer.colour_intrinsics,
                                     renderer.model.depth_to_colour)
    mapped, mapped_ir = [], []
    for raw in raws:
        depth = np.where(raw.depth_raw == INVALID, np.uint16(0), raw.depth_raw)
        registered = registration.full(depth, 1.0, raw.ir)
        mapped.append(np.where(registered.depth_mm > 0, np.round(registered.depth_mm), INVALID).astype(np.uint16))
        mapped_ir.append(registered.ir)
    c = renderer.colour_intrinsics
    (directory / "meta.txt").write_text(f"{count} {c.width_px} {c.height_px}\n")
    for name, arrays in (("depth.bin", [r.depth_raw for r in raws]), ("ir.bin", [r.ir for r in raws]),
                         ("rgb.bin", [r.colour_bgr for r in raws]), ("mapped.bin", mapped),
                         ("mapped_ir.bin", mapped_ir)):
        (directory / name).write_bytes(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays))
    (directory / "params.bin").write_bytes(_calibration_bytes(renderer))
    return FakeFrames(directory, [r.depth_raw for r in raws], [r.ir for r in raws],
                      [r.colour_bgr for r in raws], mapped, mapped_ir, renderer)


def _calibration_bytes(renderer: SimRenderer) -> bytes:
    def params(i) -> bytes:
        coeffs = list(i.coeffs) + [0.0] * (8 - len(i.coeffs))
        return bytes(PsCameraParameters(i.fx_px, i.fy_px, i.cx_px, i.cy_px, *coeffs))

    e = renderer.model.depth_to_colour
    extrinsics = PsCameraExtrinsicParameters((ctypes.c_double * 9)(*e.rotation),
                                             (ctypes.c_double * 3)(*e.translation_mm))
    return params(renderer.depth_intrinsics) + params(renderer.colour_intrinsics) + bytes(extrinsics)


class FakeControl:
    """The fake's test-only exports (faults and layout), on the same loaded library the plugin uses."""

    def __init__(self, library: Path) -> None:
        self._lib = ctypes.CDLL(str(library))  # same path → the same loaded copy as the plugin's
        self._lib.fake_sizeof.argtypes, self._lib.fake_sizeof.restype = [ctypes.c_char_p], ctypes.c_long
        self._lib.fake_offsetof.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self._lib.fake_offsetof.restype = ctypes.c_long
        self._lib.fake_unplug_after.argtypes = [ctypes.c_long, ctypes.c_long]
        self._lib.fake_stall.argtypes = [ctypes.c_long]
        self._lib.fake_set_fps.argtypes = [ctypes.c_double]
        self._lib.fake_last_ready_bits.restype = ctypes.c_uint32

    def sizeof(self, struct: str) -> int:
        return self._lib.fake_sizeof(struct.encode())

    def offsetof(self, struct: str, field: str) -> int:
        return self._lib.fake_offsetof(struct.encode(), field.encode())

    def unplug_after(self, frames: int, gone_ms: int) -> None:
        self._lib.fake_unplug_after(frames, gone_ms)

    def stall(self, reads: int) -> None:
        self._lib.fake_stall(reads)

    def set_fps(self, fps: float) -> None:
        self._lib.fake_set_fps(fps)

    def last_ready_bits(self) -> int:
        return self._lib.fake_last_ready_bits()
