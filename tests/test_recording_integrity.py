"""Truncated, corrupt, foreign or future recordings are refused with errors naming file and frame;
a recording whose writer was killed replays up to its last complete frame."""

import hashlib
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _recording_fixtures import DESCRIPTION, synthetic_frame, assert_framesets_identical
from edge.recording import (
    CorruptRecording,
    Recording,
    RecordingNotFound,
    RecordingWriter,
    UnsupportedRecordingVersion,
)
from edge.recording.format import HEADER_FILE, INDEX_FILE


@pytest.fixture
def recording_dir(tmp_path) -> Path:
    path = tmp_path / "rec"
    with RecordingWriter(path, "cam0", DESCRIPTION) as writer:
        for i in range(3):
            writer.append(synthetic_frame(i))
    return path


def test_missing_directory_or_header_is_not_found(tmp_path):
    with pytest.raises(RecordingNotFound, match="recording.json not found"):
        Recording(tmp_path / "nowhere")


def test_truncated_index_of_a_closed_recording(recording_dir):
    index = recording_dir / INDEX_FILE
    data = index.read_bytes()
    index.write_bytes(data[: len(data) - 200])
    expected = r"index.jsonl: truncated .* header says 3 frames, the index holds 2 complete lines and a partial one"
    with pytest.raises(CorruptRecording, match=expected):
        Recording(recording_dir)


def test_edited_index_fails_its_checksum(recording_dir):
    index = recording_dir / INDEX_FILE
    index.write_text(index.read_text().replace('"lighting":"low"', '"lighting":"normal"'))
    with pytest.raises(CorruptRecording, match="index.jsonl: sha256 does not match"):
        Recording(recording_dir)


def test_truncated_frame_file_is_named_at_open(recording_dir):
    depth = recording_dir / "frames" / "000000001.depth.png"
    depth.write_bytes(depth.read_bytes()[:1000])
    with pytest.raises(CorruptRecording, match=r"000000001\.depth\.png \(frame 1, .*depth\): 1000 bytes on disk"):
        Recording(recording_dir)


def test_missing_frame_file_is_named(recording_dir):
    (recording_dir / "frames" / "000000002.ir.png").unlink()
    with pytest.raises(CorruptRecording, match=r"000000002\.ir\.png \(frame 2.*missing"):
        Recording(recording_dir)


def test_corrupt_png_is_named_when_its_frame_is_read(recording_dir):
    colour = recording_dir / "frames" / "000000002.colour.png"
    data = bytearray(colour.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    colour.write_bytes(bytes(data))
    recording = Recording(recording_dir)
    recording.frame(0)
    with pytest.raises(CorruptRecording, match=r"000000002\.colour\.png \(frame 2, .*colour\): sha256 does not match"):
        recording.frame(2)


def test_undecodable_png_with_matching_checksum_is_named(recording_dir):
    """A file whose checksum was rewritten along with it still fails to decode, by name."""
    colour = recording_dir / "frames" / "000000000.colour.png"
    colour.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * (colour.stat().st_size - 8))
    header = json.loads((recording_dir / HEADER_FILE).read_text())
    header["complete"] = False  # no index checksum to keep in step with
    (recording_dir / HEADER_FILE).write_text(json.dumps(header))
    index = recording_dir / INDEX_FILE
    lines = index.read_text().splitlines()
    entry = json.loads(lines[0])
    entry["files"]["colour"]["sha256"] = hashlib.sha256(colour.read_bytes()).hexdigest()
    lines[0] = json.dumps(entry)
    index.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorruptRecording, match=r"000000000\.colour\.png .*not a decodable PNG"):
        Recording(recording_dir).frame(0)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format_version": 2}, "format_version 2 is not supported; this reader reads version 1"),
        ({"format": "rosbag"}, "format is 'rosbag', expected 'edge-fas-recording'"),
    ],
)
def test_wrong_format_or_version_is_refused(recording_dir, change, message):
    header = json.loads((recording_dir / HEADER_FILE).read_text())
    header.update(change)
    (recording_dir / HEADER_FILE).write_text(json.dumps(header))
    with pytest.raises(UnsupportedRecordingVersion, match=message):
        Recording(recording_dir)


def test_header_that_is_not_json_is_named(recording_dir):
    (recording_dir / HEADER_FILE).write_text("{ half a header")
    with pytest.raises(CorruptRecording, match="recording.json: not valid JSON"):
        Recording(recording_dir)


_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from _recording_fixtures import DESCRIPTION, synthetic_frame
    from edge.recording import RecordingWriter

    writer = RecordingWriter({path!r}, "cam0", DESCRIPTION)
    i = 0
    while True:
        writer.append(synthetic_frame(i))
        print(i, flush=True)
        i += 1
    """
)


def test_recording_of_a_killed_writer_replays_to_its_last_complete_frame(tmp_path):
    path = tmp_path / "killed"
    script = _KILLED_WRITER.format(tests=str(Path(__file__).parent), path=str(path))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):
            assert writer.stdout.readline(), "writer process died before writing 3 frames"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        writer.kill()
    recording = Recording(path)
    assert not recording.complete
    assert len(recording) >= 3
    for position, frame in enumerate(recording):
        assert_framesets_identical(synthetic_frame(position), frame)


def test_partial_last_line_of_an_unfinished_recording_is_skipped(tmp_path):
    path = tmp_path / "rec"
    writer = RecordingWriter(path, "cam0", DESCRIPTION)
    for i in range(2):
        writer.append(synthetic_frame(i, with_truth=False))
    with open(path / INDEX_FILE, "ab") as index:
        index.write(b'{"sequence":2,"frame_in')  # what a kill in the middle of a line leaves
    recording = Recording(path)
    assert len(recording) == 2 and not recording.complete
    assert_framesets_identical(synthetic_frame(1, with_truth=False), recording.frame(1))
    writer.close()
    with pytest.raises(CorruptRecording, match="partial"):
        Recording(path)
