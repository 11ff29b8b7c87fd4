"""The product end to end (issue 6): the daemon, in its own process, runs the simulator's
scripted demo on an SR300 and a DCAM710 at once, with the shipped model on ONNX Runtime; this
test process listens like the face-recognition host, on a plain SUB socket.

Every payload validates against the JSON Schema file, sequence numbers have no gaps, and the
decided state matches the simulator's ground truth for at least 95 % of the faces: live →
``live``, every attack → ``spoof``; ``uncertain``, ``not_enough_data``, a missed face and a
false face all count as wrong. The truth of a decision is the demo's scene at its frame index
(the demo is a pure function of the frame index). The demo's people are never trained on
(``engines.data.simulated.DEMO_IDENTITIES_BELOW``).

The cameras run at 10 fps so that two simulated cameras and the pipeline share two cores
without starving each other; the story is the same minute as at 30 fps.
"""

from __future__ import annotations

import collections
import json
import time

import pytest
import zmq

from camera_plugins.sim.scenarios import DEMO_LENGTH_S, demo_part, demo_scene
from edge import schema
from edge.config import shipped_model_path
from edge.message_check import Accepted, decode
from edge.messages import DECISION_SCHEMA, STATUS_SCHEMA, MessageKind
from tests._daemon_fixtures import sim_camera, start_daemon, stop_daemon, write_config
from tests._zmq_fixtures import free_tcp_endpoint

FPS = 10.0
CAMERAS = {"sr": "sr300", "tof": "dcam710"}
REQUIRED_ACCURACY = 0.95


def expected_states(frame_index: int) -> list[str]:
    return sorted("live" if f.presentation.value == "live" else "spoof" for f in demo_scene(frame_index, FPS).faces)


def score_frame(expected: list[str], decided: list[str]) -> tuple[int, int]:
    """(faces right, faces counted): decided states matched to the truth's as multisets; a
    truth face without a matching decision and a decision without a truth face are both wrong."""
    right = sum((collections.Counter(expected) & collections.Counter(decided)).values())
    return right, max(len(expected), len(decided))


def test_score_frame_counts_every_kind_of_wrong():
    assert score_frame(["live"], ["live"]) == (1, 1)
    assert score_frame(["spoof"], ["uncertain"]) == (0, 1)
    assert score_frame(["live", "live"], ["live"]) == (1, 2)   # a missed face
    assert score_frame([], ["live"]) == (0, 1)                 # a false face
    assert score_frame(["live", "live"], ["live", "spoof"]) == (1, 2)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Raw frames of every message the daemon published over one loop of the demo, per camera."""
    tmp = tmp_path_factory.mktemp("e2e")
    pub, snap = free_tcp_endpoint(), free_tcp_endpoint()
    cameras = "".join(sim_camera(cid, camera_model=model, fps=FPS) for cid, model in CAMERAS.items())
    config = write_config(tmp / "edge.toml", shipped_model_path(), pub, snap, cameras,
                          extra="[decision]\nexpiry_ms = 10000\n")
    loop_frames = int(DEMO_LENGTH_S * FPS)
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.subscribe(b"fas/")
    sub.connect(pub)
    daemon = start_daemon(config, foreground=False)
    frames, last_index = [], dict.fromkeys(CAMERAS, -1)
    try:
        deadline = time.monotonic() + 180.0
        while min(last_index.values()) < loop_frames - 2 and time.monotonic() < deadline:
            if daemon.poll() is not None:
                break
            if not sub.poll(200):
                continue
            message = sub.recv_multipart()
            frames.append(message)
            if message[0].endswith(b"/decision/"):
                body = json.loads(message[1])
                last_index[body["camera_id"]] = max(last_index[body["camera_id"]], body["frame_index"])
    finally:
        code, _, stderr = stop_daemon(daemon, timeout_s=15)
        sub.close()
        context.term()
    assert code == 0, stderr[-3000:]
    assert min(last_index.values()) >= loop_frames - 2, (last_index, stderr[-3000:])
    return frames, loop_frames


def test_every_message_validates_and_sequences_have_no_gaps(demo_run):
    frames, _ = demo_run
    by_topic = collections.defaultdict(list)
    for message in frames:
        document = json.loads(message[1])
        schema.validate(document, DECISION_SCHEMA if message[0].endswith(b"/decision/") else STATUS_SCHEMA, 1)
        assert isinstance(decode(message), Accepted)
        by_topic[message[0]].append(document["topic_sequence"])
    assert set(by_topic) == {f"fas/{c}/{k}/".encode() for c in CAMERAS for k in ("decision", "status")}
    for topic, sequences in by_topic.items():
        assert sequences == list(range(sequences[0], sequences[0] + len(sequences))), topic


@pytest.mark.parametrize("camera_id", sorted(CAMERAS))
def test_decided_states_match_the_simulators_truth(demo_run, camera_id):
    frames, loop_frames = demo_run
    right = counted = 0
    wrong = collections.Counter()
    for message in frames:
        accepted = decode(message)
        if accepted.kind is not MessageKind.DECISION or accepted.camera_id != camera_id:
            continue
        decision = accepted.body
        if decision.frame_index >= loop_frames:
            continue  # one loop: each part of the story counts once
        expected = expected_states(decision.frame_index)
        decided = sorted(f.state.value for f in decision.faces)
        r, n = score_frame(expected, decided)
        right, counted = right + r, counted + n
        if r < n:
            part, _ = demo_part(decision.frame_index / FPS)
            wrong[(part, tuple(expected), tuple(decided))] += 1
    assert counted > 200, f"only {counted} faces decided"
    accuracy = right / counted
    summary = f"{CAMERAS[camera_id]}: {right}/{counted} faces right ({accuracy:.1%}); wrong: {dict(wrong)}"
    print(summary)
    assert accuracy >= REQUIRED_ACCURACY, summary
