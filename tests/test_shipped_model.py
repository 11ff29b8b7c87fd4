"""The shipped model (engines/models/afa_sim.onnx) on a freshly generated held-out simulated set.

The faces come from identities (the "heldout" pool) and a seed the model never saw in training,
validation or its own test, made by the daemon's own detection and preprocessing
(``engines.data.simulated``), scored by the daemon's ONNX Runtime engine and judged at the
sidecar's calibrated threshold of each camera model.
"""

import numpy as np
import pytest

from edge.processing.spec import PreprocessSpec
from engines.data.simulated import CAMERA_MODELS, SimDatasetConfig, generate
from engines.experiments.ship import MODELS_DIR
from engines.metrics import error_rates
from engines.runtime.onnxruntime_backend import OnnxRuntimeEngine
from engines.sidecar import file_sha256, load_sidecar

SHIPPED = MODELS_DIR / "afa_sim.onnx"
#: Per camera model: 96 scenes of 12 new identities (~75 faces survive detection and the depth checks).
HELD_OUT = dict(samples=96, per_identity=8, seed=9_001, split="heldout", workers=2)


@pytest.fixture(scope="module")
def sidecar():
    return load_sidecar(SHIPPED)  # raises SidecarError when the sha256 does not match


def test_sidecar_matches_the_model_file_and_the_daemons_preprocessing(sidecar):
    assert sidecar.model.sha256 == file_sha256(SHIPPED)
    assert sidecar.model.file == SHIPPED.name
    assert sidecar.preprocess == PreprocessSpec().to_dict()
    assert {"default", *CAMERA_MODELS} <= set(sidecar.thresholds.per_camera)
    assert sidecar.training_data["source"].startswith("simulator only")


@pytest.fixture(scope="module", params=CAMERA_MODELS)
def held_out_rates(request, sidecar):
    """(camera model, error rates at the sidecar's threshold) on freshly generated held-out faces."""
    data, summary = generate(SimDatasetConfig(camera_model=request.param, **HELD_OUT))
    assert (data.labels == 1).sum() >= 10 and (data.labels == 0).sum() >= 10, summary["counts"]
    engine = OnnxRuntimeEngine(SHIPPED, threads=1)
    engine.warm_up()
    scores = engine.infer(data.inputs)
    assert np.all((0 <= scores) & (scores <= 1))
    return request.param, error_rates(data.labels, scores, sidecar.thresholds.for_camera(request.param))


# The bar of issue 5: ACER ≤ 5 % per camera model, at the sidecar's calibrated threshold. The model
# committed on 2026-11-28 (34 epochs on ~6 200 simulated faces) got, on this set: sr300 ACER 1.3 %
# (APCER 0 of 28 attacks, NPCER 1 of 39 live), dcam710 ACER 0 % (34 attacks, 39 live).
def test_shipped_model_acer_within_5_percent_on_new_identities(held_out_rates):
    camera_model, rates = held_out_rates
    assert rates.acer <= 0.05, (camera_model, rates)


