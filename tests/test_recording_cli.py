"""edge-record records any registered camera; here the source is the replay plugin itself."""

import pytest

from _recording_fixtures import DESCRIPTION, assert_framesets_identical, synthetic_frame
from edge.cli.options import parse_value
from edge.cli.record import main as record_main
from edge.recording import Recording, RecordingWriter

PERIOD_NS = 200_000_000


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source"
    with RecordingWriter(path, "cam0", DESCRIPTION) as writer:
        for i in range(4):
            writer.append(synthetic_frame(i, period_ns=PERIOD_NS))
    return path


def _record(source, out, *limit):
    return record_main(["--camera", "replay", "-o", f"path={source}", "-o", "pace=fast", *limit, str(out)])


def test_record_frames_from_a_camera(source, tmp_path, capsys):
    assert _record(source, tmp_path / "out", "--frames", "2") == 0
    printed = capsys.readouterr().out
    assert "wrote 2 frames" in printed and "MB per second" in printed and "5.0 fps" in printed
    copy = Recording(tmp_path / "out")
    assert copy.complete and len(copy) == 2
    assert copy.description.plugin == "replay" and copy.description.model == DESCRIPTION.model
    for position, frame in enumerate(copy):
        assert_framesets_identical(synthetic_frame(position, period_ns=PERIOD_NS), frame)


def test_seconds_are_measured_on_the_frames_clock(source, tmp_path):
    assert _record(source, tmp_path / "out", "--seconds", "0.5") == 0
    assert len(Recording(tmp_path / "out")) == 3  # frames at 0, 0.2 and 0.4 s


def test_a_disconnect_ends_the_recording_cleanly(source, tmp_path, capsys):
    assert _record(source, tmp_path / "out", "--frames", "100") == 0
    assert "camera disconnected" in capsys.readouterr().out
    assert len(Recording(tmp_path / "out")) == 4


def test_bad_arguments_are_named(source, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_code:
        record_main(["--camera", "kinect", "--frames", "1", str(tmp_path / "o1")])
    assert exit_code.value.code == 2
    assert "installed plugins: " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        record_main(["--camera", "replay", "-o", "pace", "--frames", "1", str(tmp_path / "o2")])
    assert "'pace' is not key=value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        record_main(["--camera", "replay", "-o", f"path={source}", "-o", "speed=2", "--frames", "1", str(tmp_path / "o3")])
    assert "speed" in capsys.readouterr().err
    assert record_main(["--camera", "replay", "-o", f"path={tmp_path / 'none'}", "--frames", "1", str(tmp_path / "o4")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert _record(source, source, "--frames", "1") == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, value",
    [("3", 3), ("-2", -2), ("0.5", 0.5), ("true", True), ("Off", False), ("dcam710", "dcam710"), ("1920x1080", "1920x1080")],
)
def test_option_values_are_typed(text, value):
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)
