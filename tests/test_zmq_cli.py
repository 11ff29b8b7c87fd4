"""``edge-sub`` as a user runs it, against a publisher in another process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests._zmq_fixtures import PublisherProcess
from edge import schema
from edge.messages import DECISION_SCHEMA
from edge.publishing.config import PublishConfig

EDGE_SUB = [sys.executable, "-m", "edge.cli.sub"]


@pytest.fixture
def publisher_process():
    process = PublisherProcess(PublishConfig(endpoints=["tcp://127.0.0.1:*"],
                                             snapshot_endpoints=["tcp://127.0.0.1:*"]))
    yield process
    process.kill()


def test_json_lines_are_schema_valid_decisions_of_the_chosen_camera(publisher_process):
    cli = subprocess.Popen([*EDGE_SUB, "--endpoint", publisher_process.endpoints[0], "--camera", "cam2",
                            "--decisions-only", "--json", "--count", "5"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Keep publishing on two cameras while the CLI connects (it misses what came before).
    publisher_process.send("publish cam1 50 10 1 0 60000")
    publisher_process.send("publish cam2 300 10 1 0 60000")
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 0, err
    documents = [json.loads(line) for line in out.splitlines()]
    assert len(documents) == 5
    for document in documents:
        schema.validate(document, DECISION_SCHEMA, 1)
        assert document["camera_id"] == "cam2"
    sequences = [d["topic_sequence"] for d in documents]
    assert sequences == list(range(sequences[0], sequences[0] + 5))


def test_table_starts_from_the_snapshot_and_shows_states_and_status(publisher_process):
    publisher_process.ask("publish cam1 2 1 2 0 60000", "DONE")
    publisher_process.send("status cam1")
    publisher_process.ask("counters", "COUNTERS")
    result = subprocess.run([*EDGE_SUB, "--endpoint", publisher_process.endpoints[0],
                             "--snapshot-endpoint", publisher_process.snapshot_endpoints[0], "--count", "2"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["time", "camera", "frame", "seq"]
    face_lines = [line for line in lines if "track" in line]
    assert len(face_lines) == 2  # the last decision (frame 1) has two faces
    assert "track 0" in face_lines[0] and " live " in face_lines[0] and " rgb " in face_lines[0]
    assert "track 1" in face_lines[1] and " spoof " in face_lines[1] and " ir " in face_lines[1]
    status = [line for line in lines if "STATUS" in line]
    assert len(status) == 1 and "STATUS streaming" in status[0] and "onnxruntime/cpu/fp32" in status[0]


def test_nothing_to_hear_and_unanswered_snapshots_exit_non_zero_with_the_reason(publisher_process):
    idle = subprocess.run([*EDGE_SUB, "--endpoint", publisher_process.endpoints[0], "--idle-timeout-s", "0.3"],
                          capture_output=True, text=True, timeout=30)
    assert idle.returncode == 1 and "nothing received for 0.3 s" in idle.stderr
    dead = subprocess.run([*EDGE_SUB, "--endpoint", publisher_process.endpoints[0],
                           "--snapshot-endpoint", "tcp://127.0.0.1:9"], capture_output=True, text=True, timeout=30)
    assert dead.returncode == 1 and "tcp://127.0.0.1:9 did not answer" in dead.stderr
