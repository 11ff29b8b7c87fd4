"""The simulator dataset generator: the daemon's own stages make the faces, labels follow the truth,
splits keep identities apart, the output is the trainer's npz, bad settings are clear errors."""

import json

import numpy as np
import pytest

from edge.processing.spec import PreprocessSpec
from engines.data.arrays import load_npz
from engines.data.degrade import Degradation
from camera_plugins.sim.scenarios import DEMO_ATTACKED, DEMO_SECOND, DEMO_SUBJECT
from engines.data.simulated import DEMO_IDENTITIES_BELOW, IDENTITY_POOLS, SimDatasetConfig, generate, main

SMALL = dict(samples=12, per_identity=6, workers=1, seed=11, split="val")


@pytest.fixture(scope="module", params=["sr300", "dcam710"])
def small_set(request):
    return generate(SimDatasetConfig(camera_model=request.param, **SMALL))


def test_faces_have_the_trainers_shapes_and_labels_follow_the_truth(small_set):
    data, summary = small_set
    counts = summary["counts"]
    assert data.inputs.shape[1:] == (5, 8, 8) and data.targets.shape[1:] == (5, 16, 16)
    assert len(data) == counts["faces"] >= 6  # most scenes give a usable face
    assert counts["scenes"] == SMALL["samples"]
    # Every scene is accounted for: kept, or skipped for a stated reason.
    assert counts["faces"] + counts.get("not_enough_data", 0) + counts.get("undetected", 0) \
        + counts.get("face_outside_image", 0) == counts["scenes"]
    assert ((data.presentation == "live") == (data.labels == 1)).all()
    assert set(data.camera_model.tolist()) == {summary["config"]["camera_model"]}
    assert 0.0 <= data.inputs.min() and data.inputs.max() <= 1.0


def test_subjects_come_from_the_splits_identity_pool(small_set):
    data, _ = small_set
    low, high = IDENTITY_POOLS["val"]
    identities = {int(s.removeprefix("sim-")) for s in data.subject.tolist()}
    assert identities and all(low <= i < high for i in identities)
    assert len(identities) <= -(-SMALL["samples"] // SMALL["per_identity"])  # one identity per group


def test_pools_are_disjoint_and_never_hold_the_demos_people():
    """The daemon's end-to-end accuracy is measured on the scripted demo: its people are never
    trained on, validated on or tested on."""
    ranges = sorted(IDENTITY_POOLS.values())
    assert all(a_high <= b_low for (_, a_high), (b_low, _) in zip(ranges, ranges[1:]))
    assert max(DEMO_SUBJECT, DEMO_ATTACKED, DEMO_SECOND) < DEMO_IDENTITIES_BELOW <= ranges[0][0]


def test_inputs_are_the_paper_degradation_of_the_clear_targets(small_set):
    """prepare_face's step 4 and the dataset readers' Degradation do the same arithmetic."""
    data, _ = small_set
    for target, degraded in zip(data.targets, data.inputs):
        levels = np.round(target.transpose(1, 2, 0) * 255).astype(np.uint8)
        expected, clear = Degradation.from_preprocess(PreprocessSpec().to_dict()).apply(levels)
        np.testing.assert_array_equal(clear, target)
        np.testing.assert_array_equal(expected, degraded)


def plane_residual(depth: np.ndarray) -> float:
    """RMS of what a least-squares plane leaves of a depth map: a face's relief, ~0 for a flat sheet."""
    v, u = np.mgrid[: depth.shape[0], : depth.shape[1]]
    design = np.column_stack([u.ravel(), v.ravel(), np.ones(u.size)])
    _, residual, *_ = np.linalg.lstsq(design, depth.ravel(), rcond=None)
    return float(np.sqrt(residual[0] / u.size)) if residual.size else 0.0


def test_live_faces_keep_their_depth_relief_and_prints_do_not():
    data, _ = generate(SimDatasetConfig(camera_model="sr300", samples=16, per_identity=8, workers=1, seed=5,
                                        split="test", attacks=("print_bw",)))
    relief = np.array([plane_residual(face[3, 4:12, 4:12]) for face in data.targets])  # centre of the clear depth
    live, flat = relief[data.labels == 1], relief[data.labels == 0]
    assert len(live) and len(flat)
    assert np.median(live) > 2 * np.median(flat), (live, flat)


def test_same_config_gives_the_same_dataset():
    config = SimDatasetConfig(camera_model="dcam710", samples=4, per_identity=4, workers=1, seed=2)
    (a, _), (b, _) = generate(config), generate(config)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.presentation, b.presentation)


def test_cli_writes_the_npz_the_trainer_reads_with_the_spec(tmp_path, capsys):
    out = tmp_path / "faces.npz"
    assert main([str(out), "--camera-model", "sr300", "--samples", "4", "--per-identity", "4", "--workers", "1",
                 "--seed", "3", "--split", "heldout"]) == 0
    summary = json.loads(capsys.readouterr().out)
    data = load_npz(out)
    assert len(data) == summary["faces"]
    with np.load(out) as stored:
        assert json.loads(str(stored["preprocess_spec"])) == PreprocessSpec().to_dict()
        assert json.loads(str(stored["generator"]))["config"]["split"] == "heldout"


@pytest.mark.parametrize("settings, message", [
    ({"camera_model": "kinect"}, "camera_model='kinect'"),
    ({"split": "dev"}, "split='dev'"),
    ({"attacks": ("paper_cut",)}, "attacks=\\['paper_cut'\\]"),
    ({"workers": 3}, "workers=3: at most 2"),
    ({"live_share": 1.5}, "live_share=1.5"),
    ({"samples": 0}, "samples=0"),
])
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        SimDatasetConfig(**settings)


def test_cli_bad_output_name_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "faces.h5")]) == 2
    assert "must end in .npz" in capsys.readouterr().err
