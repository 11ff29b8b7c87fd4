"""Coordinated omission: a stall injected into a camera-paced run is charged to every frame it
delayed, not hidden because nobody was waiting for those frames."""

from __future__ import annotations

from edge.bench.analysis import EVERY_FRAME, camera_figures, every_frame_ms
from edge.bench.harness import Scenario, run
from edge.bench.sources import ScheduledCamera
from tests._bench_fixtures import bench_daemon_config, bench_model, one_face_bank  # noqa: F401  (fixtures)

FPS = 30.0
STALLED_FRAME = 45  # 1.5 s in: after the 1 s warm-up, inside the measured window
STALL_MS = 600.0


def test_stall_shows_in_the_latency_of_every_frame_it_delayed(bench_model, one_face_bank):
    camera = ScheduledCamera("cam1", one_face_bank, FPS, stalls={STALLED_FRAME: STALL_MS})
    result = run(bench_daemon_config(bench_model), {"cam1": camera}, Scenario("paced", FPS, 2.5, 1.0))
    period_ms = 1000.0 / FPS
    first_in_window = round((result.window_start_ns - camera.start_ns) / (period_ms * 1e6) + 0.5)
    latencies = every_frame_ms(result, "cam1")
    # No decision on a frame ≥ i can leave before the stalled read returns, so frame i, scheduled
    # (i − 45) periods into the stall, waited at least the rest of the stall.
    delayed = range(STALLED_FRAME, STALLED_FRAME + int(STALL_MS / period_ms))
    for i in delayed:
        remaining_ms = STALL_MS - (i - STALLED_FRAME) * period_ms
        assert latencies[i - first_in_window] >= remaining_ms - 1.0, (i, latencies[i - first_in_window])
    # The frames produced during the stall were never read: dropped at capture, and said so.
    figures = camera_figures(result, "cam1")
    assert figures["drops"]["capture"] >= len(delayed) - 2
    assert figures["stages"][EVERY_FRAME]["max_ms"] >= STALL_MS - 1.0
    stalled = [r for r in result.records if r.frame_index == STALLED_FRAME]
    if stalled:  # it may have been replaced in the latest-frame slot on a busy machine
        assert stalled[0].end_to_end_ms >= STALL_MS


def test_without_a_stall_no_frame_waits_that_long(bench_model, one_face_bank):
    camera = ScheduledCamera("cam1", one_face_bank, FPS)
    result = run(bench_daemon_config(bench_model), {"cam1": camera}, Scenario("paced", FPS, 1.5, 1.0))
    figures = camera_figures(result, "cam1")
    assert figures["drops"]["capture"] <= 10  # a starved capture thread may miss a few on a busy machine
    assert len(every_frame_ms(result, "cam1")) >= 40
