"""Every registered camera plugin honours the contract the capture thread relies on.

Each plugin name maps to a factory that builds it in a test. A plugin that is registered but
has no factory here fails: whoever adds a camera adds the way to test it.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from camera_plugins.base import CameraDescription, CameraError, CameraPlugin
from camera_plugins.registry import UnknownPlugin, create_camera, installed_plugins
from edge.recording import RecordingWriter

READS = 5


def _sim_camera(tmp_path: Path) -> CameraPlugin:
    """The simulator with its default scenario, unpaced so the test does not wait on the clock."""
    return create_camera("sim", "contract", {"paced": False})


def _faults_camera(tmp_path: Path) -> CameraPlugin:
    """The fault injector around the simulator, with an empty plan: it must pass everything through."""
    return create_camera("faults", "contract", {"camera": "sim", "options": {"paced": False}})


def _replay_camera(tmp_path: Path) -> CameraPlugin:
    """A recording of the simulator made here, played back as fast as it decodes."""
    source = create_camera("sim", "recorded", {"paced": False})
    # describe() is valid once open: the writer's description is evaluated after `source` opens.
    with source, RecordingWriter(tmp_path / "rec", "recorded", source.describe()) as writer:
        for _ in range(READS + 1):
            writer.append(source.read(timeout_s=10.0))
    return create_camera("replay", "contract", {"path": str(tmp_path / "rec"), "pace": "fast"})


def _sr300_camera(tmp_path: Path) -> CameraPlugin:
    """A recording of simulated SR300 frames made through rs.software_device + rs.recorder,
    played through rs.pipeline as a live camera (tests/_rs_recording.py)."""
    from tests._rs_recording import render_sim_frames, write_sr300_recording

    recording = write_sr300_recording(tmp_path / "sr300.bag", render_sim_frames(READS + 2))
    return create_camera("sr300", "contract", {"playback_file": str(recording.path), "playback_real_time": False})


def _dcam710_camera(tmp_path: Path) -> CameraPlugin:
    """The dcam710 plugin on the fake vendor library (C, built here) serving simulated frames."""
    from tests._vzense_fake import compile_fake, fake_camera, write_fake_frames

    frames = write_fake_frames(tmp_path / "frames", 3)
    library = fake_camera(tmp_path / "camera", compile_fake(tmp_path), frames)
    return create_camera("dcam710", "contract", {"sdk_library": str(library)})


FACTORIES: dict[str, Callable[[Path], CameraPlugin]] = {
    "sim": _sim_camera,
    "replay": _replay_camera,
    "sr300": _sr300_camera,
    "dcam710": _dcam710_camera,
    "faults": _faults_camera,
}


@pytest.mark.parametrize("name", sorted(installed_plugins()))
def test_registered_plugin_honours_the_contract(name, tmp_path):
    assert name in FACTORIES, (
        f"camera plugin {name!r} is registered but tests/test_plugin_contract.py has no factory for it: "
        "add one to FACTORIES so the contract tests cover it"
    )
    camera = FACTORIES[name](tmp_path)
    camera.close()  # safe before open
    camera.open()
    try:
        description = camera.describe()
        assert isinstance(description, CameraDescription)
        assert description.plugin == name
        assert description.model and description.streams
        frames = [camera.read(timeout_s=10.0) for _ in range(READS)]
    finally:
        camera.close()
    for frame in frames:
        frame.validate()
        assert frame.camera_id
    indices = [f.frame_index for f in frames]
    assert all(b > a for a, b in zip(indices, indices[1:])), f"frame indices not increasing: {indices}"
    for clock in ("host_monotonic_ns", "host_wall_ns", "sensor_ms"):
        stamps = [getattr(f.timestamps, clock) for f in frames]
        assert all(b >= a for a, b in zip(stamps, stamps[1:])), f"{clock} goes backwards: {stamps}"
    camera.close()  # idempotent
    with pytest.raises(CameraError):
        camera.read(timeout_s=0.5)


def test_unknown_plugin_name_lists_the_installed_ones():
    with pytest.raises(UnknownPlugin) as error:
        create_camera("kinect", "cam0")
    assert "'kinect'" in str(error.value)
    for name in installed_plugins():
        assert name in str(error.value)
