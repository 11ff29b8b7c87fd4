"""The engine cache key: one file name per (model, TensorRT, GPU, precision, profile), computed
from injected facts without a GPU; the facts' probes and TensorRT's log levels."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from engines.tensorrt.cache_key import BuildSpec, OptimisationProfile
from engines.tensorrt.facts import TargetFacts, jetson_module
from engines.tensorrt.trt_logging import python_level
from tests._trt_fixtures import MODEL_SHA, ORIN, RTX, key_for


def test_the_same_facts_give_the_same_key_and_name():
    assert key_for() == key_for()
    assert key_for().file_name() == key_for().file_name()
    assert key_for().digest() == key_for().digest()


@pytest.mark.parametrize("changed", [
    {"model_sha": "b" * 64},
    {"facts": dataclasses.replace(RTX, tensorrt_version="10.4.0")},
    {"facts": dataclasses.replace(RTX, compute_capability="8.6")},
    {"facts": dataclasses.replace(RTX, gpu_name="NVIDIA RTX A2000")},
    {"facts": ORIN},
    {"precision": "fp32"},
    {"profile": (1, 8, 16)},
    {"profile": (1, 4, 32)},
    {"profile": (2, 4, 16)},
])
def test_each_fact_changes_the_file_name(changed):
    assert key_for(**changed).file_name() != key_for().file_name()
    assert key_for(**changed).digest() != key_for().digest()


def test_the_name_spells_out_the_facts():
    name = key_for(ORIN, "fp16", (1, 4, 16)).file_name()
    assert name.startswith("afa-aaaaaaaaaaaa-trt10-3-0-nvidia-jetson-orin-nano-developer-kit-sm87-fp16-b1-4-16-")
    assert name.endswith(".engine")
    rtx = key_for(RTX, "fp32", (1, 8, 32)).file_name()
    assert "-nvidia-geforce-rtx-4090-sm89-fp32-b1-8-32-" in rtx


def test_gpu_names_cut_short_in_the_name_still_give_different_files():
    long_a = dataclasses.replace(RTX, gpu_name="NVIDIA Very Long Accelerator Product Name Edition A")
    long_b = dataclasses.replace(RTX, gpu_name="NVIDIA Very Long Accelerator Product Name Edition B")
    assert long_a.gpu_tag() == long_b.gpu_tag()  # the readable part is truncated ...
    assert key_for(long_a).file_name() != key_for(long_b).file_name()  # ... the digest is not


def test_the_timing_cache_is_shared_across_models_and_precisions_but_not_targets():
    assert key_for(precision="fp32", model_sha="c" * 64).timing_cache_name() == key_for().timing_cache_name()
    assert key_for(ORIN).timing_cache_name() != key_for(RTX).timing_cache_name()
    assert key_for(dataclasses.replace(RTX, tensorrt_version="10.4.0")).timing_cache_name() \
        != key_for().timing_cache_name()


def test_fields_are_what_the_sidecar_records():
    assert key_for(ORIN).fields() == {
        "model_sha256": MODEL_SHA, "tensorrt_version": "10.3.0", "gpu_name": "Orin",
        "compute_capability": "8.7", "jetson_module": "NVIDIA Jetson Orin Nano Developer Kit",
        "precision": "fp16", "profile": [1, 4, 16]}


def test_bad_profiles_and_specs_say_what_is_wrong():
    with pytest.raises(ValueError, match="min_batch <= opt_batch <= max_batch.*min 1, opt 8, max 4"):
        OptimisationProfile(1, 8, 4)
    with pytest.raises(ValueError, match="min_batch"):
        OptimisationProfile(0, 4, 16)
    with pytest.raises(ValueError, match="precision must be one of"):
        BuildSpec("int8")
    with pytest.raises(ValueError, match="compute_capability must be 'major.minor'"):
        TargetFacts("10.3.0", "Orin", "87")
    assert BuildSpec().precision == "fp16" and BuildSpec().profile.as_tuple() == (1, 4, 16)


def test_a_jetson_is_recognised_by_its_device_tree_model(tmp_path):
    model = tmp_path / "model"
    model.write_bytes(b"NVIDIA Jetson AGX Orin Developer Kit\0")
    assert jetson_module(model) == "NVIDIA Jetson AGX Orin Developer Kit"
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\0")
    assert jetson_module(model) is None
    assert jetson_module(tmp_path / "absent") is None


def test_tensorrt_severities_map_to_python_levels():
    assert python_level("INTERNAL_ERROR") == logging.CRITICAL
    assert python_level("Severity.ERROR") == logging.ERROR
    assert python_level("WARNING") == logging.WARNING
    assert python_level("INFO") == logging.DEBUG  # a line per tactic while building: not INFO
    assert python_level("VERBOSE") == logging.DEBUG
