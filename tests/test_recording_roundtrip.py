"""Record → read back gives byte-identical arrays and identical metadata, truth included."""

import json

import numpy as np
import pytest

from _recording_fixtures import DESCRIPTION, synthetic_frame, assert_framesets_identical
from edge.frames import SceneTruth
from edge.recording import Recording, RecordingError, RecordingWriter
from edge.recording.codec import decode_truth_depth, encode_truth_depth
from edge.recording.format import HEADER_FILE


@pytest.mark.parametrize("ir_16bit", [False, True], ids=["ir8", "ir16"])
def test_round_trip_is_byte_identical(tmp_path, ir_16bit):
    frames = [synthetic_frame(i, seed=1, ir_16bit=ir_16bit) for i in range(3)]
    with RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION) as writer:
        for frame in frames:
            writer.append(frame)
    recording = Recording(tmp_path / "rec")
    assert recording.complete and len(recording) == 3
    assert recording.description == DESCRIPTION
    assert recording.camera_id == "cam0"
    for written, read in zip(frames, recording):
        assert_framesets_identical(written, read)
    assert read.ir.dtype == (np.uint16 if ir_16bit else np.uint8)


def test_frames_without_truth_or_truth_depth_round_trip(tmp_path):
    plain = synthetic_frame(0, with_truth=False)
    no_depth = synthetic_frame(1)
    no_depth.truth = SceneTruth(faces=no_depth.truth.faces, lighting="normal")
    with RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION) as writer:
        writer.append(plain)
        writer.append(no_depth)
    first, second = Recording(tmp_path / "rec")
    assert first.truth is None
    assert second.truth.depth_in_colour_mm is None and second.truth.faces == no_depth.truth.faces
    assert_framesets_identical(plain, first)


def test_stream_files_are_standard_pngs(tmp_path):
    """Any image tool opens them: 8-bit RGB colour, 16-bit grey depth."""
    frame = synthetic_frame(0, with_truth=False)
    with RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION) as writer:
        writer.append(frame)
    data = (tmp_path / "rec" / "frames" / "000000000.colour.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # IHDR fields: bit depth 8, colour type 2 (truecolour RGB).
    assert data[24] == 8 and data[25] == 2
    depth = (tmp_path / "rec" / "frames" / "000000000.depth.png").read_bytes()
    assert depth[24] == 16 and depth[25] == 0  # 16-bit greyscale


def test_header_records_count_and_duration(tmp_path):
    with RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION) as writer:
        for i in range(4):
            writer.append(synthetic_frame(i, with_truth=False))
    header = json.loads((tmp_path / "rec" / HEADER_FILE).read_text())
    assert header["frame_count"] == 4 and header["complete"] is True
    assert header["last_host_monotonic_ns"] - header["first_host_monotonic_ns"] == 3 * 33_333_333
    header_bytes = (tmp_path / "rec" / HEADER_FILE).stat().st_size
    assert Recording(tmp_path / "rec").total_bytes == writer.bytes_written + header_bytes


def test_writer_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "something").write_text("x")
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION)


def test_truth_depth_codec_keeps_every_float_bit_pattern():
    """NaN payloads, infinities, negative zero, denormals: the bits come back exactly."""
    bits = np.random.default_rng(5).integers(0, 2**32, (48, 64), dtype=np.uint32)
    depth = bits.view(np.float32)
    decoded = decode_truth_depth(encode_truth_depth(depth), "test")
    assert decoded.dtype == np.float32 and decoded.tobytes() == depth.tobytes()


def test_writer_refuses_a_frame_of_another_camera_or_a_broken_frame(tmp_path):
    with RecordingWriter(tmp_path / "rec", "cam0", DESCRIPTION) as writer:
        with pytest.raises(ValueError, match="'cam9'"):
            writer.append(synthetic_frame(0, camera_id="cam9"))
        broken = synthetic_frame(0)
        broken.depth_raw = broken.depth_raw.astype(np.float32)
        with pytest.raises(ValueError, match="depth_raw"):
            writer.append(broken)
        wrong_truth = synthetic_frame(0)
        wrong_truth.truth = SceneTruth(depth_in_colour_mm=np.zeros((480, 640), np.float64))
        with pytest.raises(ValueError, match="truth.depth_in_colour_mm must be an H×W float32 array, got float64"):
            writer.append(wrong_truth)
    assert len(Recording(tmp_path / "rec")) == 0
    assert not list((tmp_path / "rec" / "frames").iterdir())
    with pytest.raises(RecordingError, match="closed"):
        writer.append(synthetic_frame(1))
