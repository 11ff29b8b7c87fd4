"""AFA and the baseline: output shapes, parameter counts, and a forward/backward step at batch 2."""

import math

import pytest
import torch
import torch.nn.functional as F

from _model_fixtures import single_thread_torch  # noqa: F401  (autouse fixture)
from engines.afa import AFA, AFAConfig
from engines.afa.dam import DAM
from engines.architectures import build_model, parameter_count
from engines.baseline import ResNet18SEFusion

PAPER_AFA_PARAMETERS = 17.84e6  # Table 8
PAPER_BASELINE_PARAMETERS = 13.34e6  # Table 8, ResNet18-SE [9]


def test_paper_width_afa_has_the_papers_parameter_count_within_5_percent():
    # Counted: every trainable parameter of the training-mode network. Nothing in AFA is
    # training-only (the SR image feeds the classifier through the input block), so the
    # deployed graph has the same count; BN running statistics are buffers, not counted.
    count = parameter_count(AFA())
    assert abs(count - PAPER_AFA_PARAMETERS) / PAPER_AFA_PARAMETERS < 0.05, count  # 18.11 M, +1.5 %


def test_baseline_has_the_papers_parameter_count_within_5_percent():
    count = parameter_count(ResNet18SEFusion())
    assert abs(count - PAPER_BASELINE_PARAMETERS) / PAPER_BASELINE_PARAMETERS < 0.05, count  # 13.19 M, −1.1 %


def test_width_multiplier_shrinks_the_network_roughly_quadratically():
    full, quarter = parameter_count(AFA()), parameter_count(AFA(AFAConfig(width_multiplier=0.25)))
    assert full / 25 < quarter < full / 10


@pytest.mark.parametrize("augment", ["mfam", "sfam"])
@pytest.mark.parametrize("upsampling", ["nearest", "transposed_conv"])
def test_forward_backward_at_batch_2(augment, upsampling):
    torch.manual_seed(0)
    model = AFA(AFAConfig(width_multiplier=0.125, augment=augment, upsampling=upsampling))
    faces, targets = torch.rand(2, 5, 8, 8), torch.rand(2, 5, 16, 16)
    logits, super_resolved = model(faces)
    assert logits.shape == (2, 2) and super_resolved.shape == (2, 5, 16, 16)
    loss = F.cross_entropy(logits, torch.tensor([0, 1])) + 0.001 * F.mse_loss(super_resolved, targets)
    loss.backward()
    stem_grad = model.branches[0].stem.modules_[0][0].weight.grad
    to_image_grad = model.branches[1].augment.to_image.weight.grad
    assert stem_grad is not None and stem_grad.abs().sum() > 0
    assert to_image_grad is not None and to_image_grad.abs().sum() > 0
    model.eval()
    scores = model.live_score(faces)
    assert scores.shape == (2,) and ((scores >= 0) & (scores <= 1)).all()


def test_baseline_forward_backward_at_batch_2():
    model = ResNet18SEFusion()
    logits, super_resolved = model(torch.rand(2, 5, 8, 8))
    assert logits.shape == (2, 2) and super_resolved is None
    F.cross_entropy(logits, torch.tensor([1, 0])).backward()
    assert model.fc.weight.grad.abs().sum() > 0


def test_mfam_reads_the_other_modalities_and_sfam_does_not():
    torch.manual_seed(0)
    faces = torch.rand(1, 5, 8, 8)
    other_rgb = faces.clone()
    other_rgb[:, :3] = torch.rand(1, 3, 8, 8)
    for augment, depends in (("mfam", True), ("sfam", False)):
        model = AFA(AFAConfig(width_multiplier=0.125, augment=augment)).eval()
        with torch.no_grad():
            depth_sr = model(faces)[1][:, 3]
            depth_sr_other_rgb = model(other_rgb)[1][:, 3]
        assert (not torch.allclose(depth_sr, depth_sr_other_rgb)) == depends, augment


def test_dam_spatial_attention_uses_gcd_groups():
    dam = DAM(96, 64)
    assert dam.spatial.attention[0].groups == math.gcd(96, 64) == 32


def test_build_model_rejects_unknown_architecture_and_config():
    with pytest.raises(ValueError, match="architecture='vgg'"):
        build_model("vgg")
    with pytest.raises(ValueError, match="config for architecture 'afa'"):
        build_model("afa", {"widht_multiplier": 0.5})
    with pytest.raises(ValueError, match="upsampling"):
        build_model("afa", {"upsampling": "bicubic"})
