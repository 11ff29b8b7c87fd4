"""What the edge-bench tests share: the tiny stand-in model and a small simulator frame bank."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.bench.sources import FrameBank, sim_bank
from edge.config import DaemonConfig, load_config
from tests._daemon_fixtures import tiny_model_with_sidecar


@pytest.fixture(scope="session")
def bench_model(tmp_path_factory) -> Path:
    return tiny_model_with_sidecar(tmp_path_factory.mktemp("bench_model"))


@pytest.fixture(scope="session")
def one_face_bank() -> FrameBank:
    return sim_bank("faces", faces=1, frames=2)


def bench_daemon_config(model: Path) -> DaemonConfig:
    """The embedded default with the tiny model, one engine thread, publishing on free ports."""
    config = load_config(None)
    return config.model_copy(update={
        "engine": config.engine.model_copy(update={"model": str(model), "threads": 1}),
        "publish": config.publish.model_copy(update={"endpoints": ["tcp://127.0.0.1:*"],
                                                     "snapshot_endpoints": ["tcp://127.0.0.1:*"]}),
    })
