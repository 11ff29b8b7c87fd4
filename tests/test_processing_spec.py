"""PreprocessSpec: the paper's defaults, strict validation, round trip and fingerprint."""

import pydantic
import pytest

from edge.processing.spec import PreprocessSpec


def test_defaults_are_the_papers():
    spec = PreprocessSpec()
    assert spec.crop_scale == 1.3 and spec.depth_algorithm == "alg2" and spec.depth_window_mm == 50.0
    assert (spec.input_size_px, spec.target_size_px) == (8, 16)
    assert (spec.blur_kernel_px, spec.blur_sigma_px) == (3, 1.5)
    assert spec.channels == ("r", "g", "b", "depth", "ir")
    assert spec.min_valid_depth_fraction == 0.5


def test_round_trip_through_a_plain_dict():
    spec = PreprocessSpec(depth_algorithm="alg1", crop_scale=1.2, channels=("depth", "ir"))
    d = spec.to_dict()
    assert d["channels"] == ["depth", "ir"] and d["working_range_mm"] == [200.0, 1500.0]
    assert PreprocessSpec.from_dict(d) == spec


def test_fingerprint_is_stable_and_sees_every_field():
    assert PreprocessSpec().fingerprint() == PreprocessSpec.from_dict(PreprocessSpec().to_dict()).fingerprint()
    assert len(PreprocessSpec().fingerprint()) == 64
    changed = [
        PreprocessSpec(crop_scale=1.31),
        PreprocessSpec(depth_algorithm="alg1"),
        PreprocessSpec(blur_sigma_px=1.4),
        PreprocessSpec(channels=("g", "r", "b", "depth", "ir")),
        PreprocessSpec(working_range_mm=(200.0, 1400.0)),
    ]
    fingerprints = {s.fingerprint() for s in changed} | {PreprocessSpec().fingerprint()}
    assert len(fingerprints) == len(changed) + 1


def test_the_spec_is_frozen():
    with pytest.raises(pydantic.ValidationError):
        PreprocessSpec().crop_scale = 2.0


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"crop_scael": 1.3}, "crop_scael"),
        ({"depth_algorithm": "alg3"}, "depth_algorithm"),
        ({"blur_kernel_px": 4}, "blur_kernel_px"),
        ({"working_range_mm": (1500.0, 200.0)}, "working_range_mm"),
        ({"input_size_px": 32}, "input_size_px"),
        ({"channels": ("r", "r")}, "channels"),
        ({"channels": ("r", "nir")}, "channels"),
        ({"min_valid_depth_fraction": 0.0}, "min_valid_depth_fraction"),
        ({"crop_scale": 0.8}, "crop_scale"),
    ],
)
def test_bad_values_name_the_key(fields, named):
    with pytest.raises(pydantic.ValidationError, match=named):
        PreprocessSpec.from_dict({**PreprocessSpec().to_dict(), **fields})
