"""Training learns, is deterministic for a seed, resumes, and refuses another architecture's checkpoint."""

import math

import numpy as np
import pytest
import torch

from _model_fixtures import single_thread_torch, synthetic_faces  # noqa: F401  (autouse fixture)
from engines.architectures import build_model
from engines.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint, save_checkpoint
from engines.data.simulated import SimDatasetConfig, generate
from engines.inference import live_scores
from engines.metrics import error_rates, threshold_at_eer
from engines.train import TrainConfig, main, train

TINY = {"width_multiplier": 0.125}


def test_tiny_afa_learns_on_a_small_simulated_set_and_beats_chance_widely(tmp_path):
    """A real learning test: DCAM710 faces made by the daemon's own code (engines.data.simulated),
    train / validation / test from disjoint identity pools, flat attacks (prints and screens).
    About a minute on the 2-core dev machine, two thirds of it generation."""
    flat = ("print_colour", "print_bw", "screen")
    made = {split: generate(SimDatasetConfig(camera_model="dcam710", samples=samples, seed=3, split=split,
                                             attacks=flat))[0]
            for split, samples in (("train", 256), ("val", 96), ("test", 128))}
    assert len(made["train"]) > 150 and set(made["test"].labels) == {0, 1}
    # lr 0.01, not the paper's 0.1: on ~200 faces larger steps fit the training identities (test
    # ACER 0.02-0.39 at lr 0.05 and 0.19-0.28 at 0.1 in eval mode), the smaller one generalises.
    config = TrainConfig(model_config=TINY, epochs=16, batch_size=32, lr=0.01, cycle_epochs=16, seed=0)  # ~110 steps
    result = train(config, made["train"], made["val"], tmp_path, progress=False)
    losses = [h["loss"] for h in result["history"]]
    assert np.mean(losses[-3:]) < 0.5 * losses[0], losses
    model, _ = model_from_checkpoint(tmp_path / "last.pt")
    threshold = threshold_at_eer(made["val"].labels, live_scores(model, made["val"].inputs))  # chosen on validation...
    acer = error_rates(made["test"].labels, live_scores(model, made["test"].inputs), threshold).acer  # ...applied to test
    # Chance is 0.5. Got 0.0 here; data seeds 1, 2 and 4 gave 0.037, 0.010 and 0.040 (2026-11-28).
    assert acer <= 0.15, acer


def test_same_seed_gives_the_same_weights_and_resume_continues(tmp_path):
    data = synthetic_faces(48, seed=3)
    config = TrainConfig(model_config={"width_multiplier": 0.0625}, epochs=2, batch_size=16, seed=5)
    train(config, data, None, tmp_path / "a", progress=False)
    train(config, data, None, tmp_path / "b", progress=False)
    a, b = (load_checkpoint(tmp_path / name / "last.pt")["model_state"] for name in "ab")
    assert all(torch.equal(a[k], b[k]) for k in a)

    one_epoch = TrainConfig(**{**config.__dict__, "epochs": 1})
    train(one_epoch, data, None, tmp_path / "c", progress=False)
    resumed = train(config, data, None, tmp_path / "c", resume=tmp_path / "c" / "last.pt", progress=False)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]
    c = load_checkpoint(tmp_path / "c" / "last.pt")["model_state"]
    assert all(torch.allclose(a[k].float(), c[k].float(), atol=1e-6) for k in a)


def test_frozen_batch_norm_epochs_train_the_weights_but_keep_the_statistics(tmp_path):
    data = synthetic_faces(48, seed=3)
    plain = TrainConfig(model_config=TINY, epochs=1, batch_size=16, seed=0)
    train(plain, data, None, tmp_path / "plain", progress=False)
    result = train(TrainConfig(model_config=TINY, epochs=1, batch_size=16, seed=0, frozen_bn_epochs=2, frozen_bn_lr=0.01),
                   data, None, tmp_path / "frozen", progress=False)
    assert [h["frozen_bn"] for h in result["history"]] == [False, True, True]
    assert result["history"][1]["lr"] < 0.01 and result["history"][2]["lr"] < result["history"][1]["lr"]
    before = load_checkpoint(tmp_path / "plain" / "last.pt")["model_state"]
    after = load_checkpoint(tmp_path / "frozen" / "last.pt")["model_state"]
    statistics = [k for k in before if k.endswith(("running_mean", "running_var"))]
    weights = [k for k in before if k.endswith(".weight") and before[k].dim() == 4]
    assert statistics and weights
    for key in statistics:  # the frozen epochs used the statistics of the first and never moved them
        torch.testing.assert_close(after[key], before[key], rtol=0, atol=0)
    assert any(not torch.equal(after[k], before[k]) for k in weights)


def test_baseline_trains_with_the_same_code(tmp_path):
    result = train(TrainConfig(architecture="resnet18_se", model_config={"width_multiplier": 0.125}, epochs=1,
                               batch_size=16), synthetic_faces(32, seed=4), synthetic_faces(16, seed=5), tmp_path, progress=False)
    assert math.isfinite(result["history"][0]["loss"])
    assert load_checkpoint(tmp_path / "best.pt")["architecture"] == "resnet18_se"


def test_checkpoint_of_another_architecture_is_a_clear_error(tmp_path):
    save_checkpoint(tmp_path / "afa.pt", build_model("afa", TINY))
    with pytest.raises(CheckpointError, match="holds architecture 'afa', not 'resnet18_se'"):
        load_checkpoint(tmp_path / "afa.pt", expected_architecture="resnet18_se")
    with pytest.raises(CheckpointError, match="holds architecture 'afa'"):
        train(TrainConfig(architecture="resnet18_se"), synthetic_faces(8, 0), None, tmp_path / "x",
              resume=tmp_path / "afa.pt", progress=False)
    torch.save({"weights": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not an edge-fas checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")


def test_cli_reports_bad_input_with_exit_code_2(tmp_path, capsys):
    synthetic_faces(8, 0).save(tmp_path / "d.npz")
    assert main(["--train", str(tmp_path / "missing.npz"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.npz not found" in capsys.readouterr().err
    assert main(["--train", str(tmp_path / "d.npz"), "--out", str(tmp_path / "o"), "--epochs", "0"]) == 2
    assert "epochs=0" in capsys.readouterr().err
