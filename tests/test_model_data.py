"""Dataset readers (CASIA-SURF list, plain folder, npz), the degradation and the augmentation."""

import cv2
import numpy as np
import pytest
import torch

from engines.data.arrays import FaceArrays, load_npz
from engines.data.augment import Augmentation
from engines.data.casia_surf import read_casia_surf_list
from engines.data.degrade import Degradation
from engines.data.folder import read_face_folder
from engines.data.images import DatasetError
from engines.data.sources import open_dataset


def _write_face(folder, stem, size=(40, 36), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, channels in (("rgb", 3), ("depth", 3), ("ir", 1)):  # depth as CASIA's 3-channel JPEG stand-in
        image = rng.integers(0, 256, (size[1], size[0], channels), dtype=np.uint8)
        path = folder / f"{stem}{name}.png"
        cv2.imwrite(str(path), image if channels == 3 else image[..., 0])
        paths.append(path)
    return paths


@pytest.fixture
def casia_list(tmp_path):
    lines = []
    for i, label in enumerate((1, 0, 0, 1)):
        paths = _write_face(tmp_path / f"subject{i}", "", seed=i)
        lines.append(" ".join(p.relative_to(tmp_path).as_posix() for p in paths) + f" {label}")
    (tmp_path / "train_list.txt").write_text("\n".join(lines) + "\n")
    return tmp_path / "train_list.txt"


def test_casia_list_reads_faces_with_the_chosen_label_convention(casia_list):
    original = read_casia_surf_list(casia_list, live_label=1)
    assert original.inputs.shape == (4, 5, 8, 8) and original.targets.shape == (4, 5, 16, 16)
    assert original.labels.tolist() == [1, 0, 0, 1]
    assert 0 <= original.inputs.min() and original.inputs.max() <= 1
    repackaged = read_casia_surf_list(casia_list, live_label=0)
    assert repackaged.labels.tolist() == [0, 1, 1, 0]


def test_casia_colour_is_stored_as_r_g_b(casia_list, tmp_path):
    data = read_casia_surf_list(casia_list, live_label=1)
    bgr = cv2.imread(str(tmp_path / "subject0" / "rgb.png"))
    expected_red = cv2.resize(bgr[..., 2], (16, 16), interpolation=cv2.INTER_AREA) / 255
    np.testing.assert_allclose(data.targets[0, 0], expected_red, atol=1e-6)


def test_casia_list_with_a_missing_file_names_the_line_and_file(casia_list, tmp_path):
    (tmp_path / "subject2" / "ir.png").unlink()
    with pytest.raises(DatasetError, match=r"train_list.txt:3: file .*subject2/ir.png not found"):
        read_casia_surf_list(casia_list, live_label=1)


def test_casia_list_with_a_wrong_label_value_names_it(casia_list):
    text = casia_list.read_text().splitlines()
    text[1] = text[1][:-1] + "2"
    casia_list.write_text("\n".join(text))
    with pytest.raises(DatasetError, match=r"train_list.txt:2: label '2' is not 0 or 1"):
        read_casia_surf_list(casia_list, live_label=1)


def test_casia_list_convention_must_be_explicit(casia_list):
    with pytest.raises(DatasetError, match="--live-label"):
        open_dataset(casia_list)
    with pytest.raises(DatasetError, match="live_label=2"):
        read_casia_surf_list(casia_list, live_label=2)


def test_images_of_the_wrong_size_are_refused(tmp_path):
    _write_face(tmp_path / "live" / "a", "", size=(12, 12))
    with pytest.raises(DatasetError, match="12×12 px, smaller than the 16×16"):
        read_face_folder(tmp_path)


def test_modalities_of_different_sizes_are_refused(tmp_path):
    paths = _write_face(tmp_path / "live" / "a", "")
    cv2.imwrite(str(paths[1]), np.zeros((30, 30), np.uint8))
    with pytest.raises(DatasetError, match="differ in size"):
        read_face_folder(tmp_path)


def test_folder_layout_labels_and_attack_types(tmp_path):
    _write_face(tmp_path / "live" / "p1", "", seed=1)
    _write_face(tmp_path / "print" / "p1", "", seed=2)
    _write_face(tmp_path / "mask" / "p2", "", seed=3)
    data = read_face_folder(tmp_path, camera_model="sr300")
    assert sorted(zip(data.presentation.tolist(), data.labels.tolist())) == [("live", 1), ("mask", 0), ("print", 0)]
    assert set(data.camera_model.tolist()) == {"sr300"}


def test_degradation_is_area_resize_then_blur_of_8_bit_levels():
    rng = np.random.default_rng(0)
    face = rng.integers(0, 256, (48, 48, 5), dtype=np.uint8)
    degraded, target = Degradation().apply(face)
    # Colour and depth+IR as the daemon's processing groups them (3 and 2 channels: OpenCV's limit is 4).
    clear = np.dstack([cv2.resize(face[..., :3], (16, 16), interpolation=cv2.INTER_AREA),
                       cv2.resize(face[..., 3:], (16, 16), interpolation=cv2.INTER_AREA)])
    blur = lambda image: cv2.GaussianBlur(cv2.resize(image, (8, 8), interpolation=cv2.INTER_AREA), (3, 3), 1.5)
    expected = np.dstack([blur(clear[..., :3]), blur(clear[..., 3:])])
    np.testing.assert_allclose(target, clear.transpose(2, 0, 1) / 255, rtol=0, atol=1e-7)
    np.testing.assert_allclose(degraded, expected.transpose(2, 0, 1) / 255, rtol=0, atol=1e-7)
    assert degraded[3].std() < target[3].std()  # blurred and smaller: less detail


def test_degradation_follows_the_preprocess_spec():
    from edge.processing.spec import PreprocessSpec

    spec = PreprocessSpec(input_size_px=6, target_size_px=12, blur_kernel_px=5, blur_sigma_px=2.0)
    assert Degradation.from_preprocess(spec.to_dict()) == Degradation(6, 12, 5, 2.0)


def test_npz_round_trip_and_bad_files(tmp_path):
    data = FaceArrays.build(np.zeros((3, 5, 8, 8)), np.zeros((3, 5, 16, 16)), [1, 0, 1], camera_model=["sr300"] * 3)
    data.save(tmp_path / "d.npz")
    loaded = load_npz(tmp_path / "d.npz")
    assert loaded.labels.tolist() == [1, 0, 1] and loaded.camera_model.tolist() == ["sr300"] * 3
    np.savez(tmp_path / "no_targets.npz", inputs=np.zeros((1, 5, 8, 8)), labels=[1])
    with pytest.raises(ValueError, match=r"lacks keys \['targets'\]"):
        load_npz(tmp_path / "no_targets.npz")
    np.savez(tmp_path / "wrong.npz", inputs=np.zeros((1, 3, 8, 8)), targets=np.zeros((1, 5, 16, 16)), labels=[1])
    with pytest.raises(ValueError, match=r"inputs has shape \(1, 3, 8, 8\)"):
        load_npz(tmp_path / "wrong.npz")
    with pytest.raises(ValueError, match=r"labels contain \[7\]"):
        FaceArrays.build(np.zeros((1, 5, 8, 8)), np.zeros((1, 5, 16, 16)), [7])


def _still(**changes):
    return Augmentation(**{**dict(flip_probability=0, max_rotation_deg=0, scale_range=(1, 1), max_shift_fraction=0,
                                  erase_probability=0), **changes})


def test_augmentation_flip_is_exact_on_all_modalities_and_both_sizes():
    x, t = torch.rand(3, 5, 8, 8), torch.rand(3, 5, 16, 16)
    flipped_x, flipped_t = _still(flip_probability=1)(x.clone(), t.clone(), torch.Generator().manual_seed(0))
    torch.testing.assert_close(flipped_x, x.flip(-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(flipped_t, t.flip(-1), atol=1e-5, rtol=0)


def test_augmentation_moves_input_and_target_together():
    # A target and its own 2×2 average (the input, before blur) stay consistent under one random warp.
    t = torch.nn.functional.interpolate(torch.rand(4, 5, 4, 4), size=16, mode="bilinear", align_corners=False)
    x = torch.nn.functional.avg_pool2d(t, 2)
    warped_x, warped_t = Augmentation(erase_probability=0)(x.clone(), t.clone(), torch.Generator().manual_seed(3))
    assert not torch.allclose(warped_x, x, atol=1e-3)
    difference = (torch.nn.functional.avg_pool2d(warped_t, 2) - warped_x).abs()
    assert difference.mean() < 0.02  # same warp at both sizes (bilinear sampling differs only in detail)
    assert (warped_x - x).abs().mean() > 5 * difference.mean()


def test_modality_erasing_zeroes_one_whole_modality_of_the_input_only():
    x, t = torch.rand(64, 5, 8, 8) + 0.1, torch.rand(64, 5, 16, 16)
    erased_x, kept_t = _still(erase_probability=1)(x.clone(), t.clone(), torch.Generator().manual_seed(1))
    zero_channels = (erased_x == 0).flatten(2).all(-1)  # N×5
    patterns = {tuple(row.tolist()) for row in zero_channels}
    assert patterns <= {(True, True, True, False, False), (False, False, False, True, False), (False, False, False, False, True)}
    assert len(patterns) == 3
    torch.testing.assert_close(kept_t, t)


def test_npz_made_with_another_preprocessing_spec_is_refused(tmp_path):
    import json

    from engines.export import default_preprocess

    spec = default_preprocess()
    arrays = dict(inputs=np.zeros((2, 5, 8, 8), np.float32), targets=np.zeros((2, 5, 16, 16), np.float32), labels=[1, 0])
    np.savez(tmp_path / "same.npz", **arrays, preprocess_spec=json.dumps(spec))
    assert len(open_dataset(tmp_path / "same.npz", expected_preprocess=spec)) == 2
    np.savez(tmp_path / "other.npz", **arrays, preprocess_spec=json.dumps({**spec, "depth_algorithm": "alg1"}))
    with pytest.raises(DatasetError, match=r"another preprocessing spec \(differs in \['depth_algorithm'\]\)"):
        open_dataset(tmp_path / "other.npz", expected_preprocess=spec)
