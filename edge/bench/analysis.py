"""From a run's per-frame records to the figures the report shows.

* **per stage** (each stage the daemon times: capture wait, registration, detection,
  preprocessing, inference, decision, serialisation, publish) and **end to end** (the frame's
  scheduled time → its decision sent), over all cameras and per camera;
* **every frame** (camera-paced only): for each frame the camera produced in the window, the
  time until a decision on it *or on a newer frame* was sent. A dropped frame is thus charged
  the wait for the next decision, so a stall counts against every frame it delays even when
  the latest-frame slot replaced them;
* per-face preprocessing (the preprocessing stage divided by the faces it prepared);
* frames dropped per stage, achieved decisions per second.
"""

from __future__ import annotations

import bisect
import math

from edge.bench.harness import RunResult
from edge.bench.sources import ScheduledCamera
from edge.bench.stats import DEFAULT_MAX_COV, summarise
from edge.timing import STAGES

END_TO_END = "end_to_end"
EVERY_FRAME = "every_frame"
PER_FACE_PREPROCESSING = "preprocessing_per_face"


def _series(result: RunResult, camera_id: str | None) -> dict[str, list[float]]:
    records = [r for r in result.records if camera_id is None or r.camera_id == camera_id]
    series: dict[str, list[float]] = {stage: [] for stage in STAGES}
    series[END_TO_END] = [r.end_to_end_ms for r in records]
    series[PER_FACE_PREPROCESSING] = []
    for r in records:
        for stage, value in r.stages_ms.items():
            series[stage].append(value)
        if r.faces and "preprocessing" in r.stages_ms:
            series[PER_FACE_PREPROCESSING].append(r.stages_ms["preprocessing"] / r.faces)
    if result.scenario.mode == "paced":
        series[EVERY_FRAME] = []
        for cid in ([camera_id] if camera_id else list(result.cameras)):
            series[EVERY_FRAME] += every_frame_ms(result, cid)
    return {name: values for name, values in series.items() if values}


def every_frame_ms(result: RunResult, camera_id: str) -> list[float]:
    """For each frame scheduled in the window: scheduled time → first decision on it or a newer one."""
    camera = result.cameras[camera_id]
    published = sorted((r.frame_index, r.published_ns) for r in result.records if r.camera_id == camera_id)
    if not published or not isinstance(camera, ScheduledCamera) or camera.start_ns is None:
        return [r.end_to_end_ms for r in result.records if r.camera_id == camera_id]
    # Decisions are sent in frame order per camera, so "first decision on index ≥ i" is a bisect.
    indices = [i for i, _ in published]
    start, period = camera.start_ns, camera.period_ns
    first = max(0, math.ceil((result.window_start_ns - start) / period))
    values = []
    i = first
    while (due := start + round(i * period)) < result.window_end_ns:
        k = bisect.bisect_left(indices, i)
        if k == len(indices):
            break  # nothing newer was decided before the run ended: not measurable
        values.append((published[k][1] - due) / 1e6)
        i += 1
    return values


def stage_table(result: RunResult, camera_id: str | None = None, max_cov: float = DEFAULT_MAX_COV) -> dict:
    """Series name → summary dict, in pipeline order then end to end."""
    where = f"camera {camera_id}" if camera_id else "all cameras"
    return {name: summarise(values, f"{name} ({where})", max_cov).to_dict()
            for name, values in _series(result, camera_id).items()}


def camera_figures(result: RunResult, camera_id: str) -> dict:
    duration_s = (result.window_end_ns - result.window_start_ns) / 1e9
    records = [r for r in result.records if r.camera_id == camera_id]
    drops = dict(result.drops[camera_id])
    camera = result.cameras[camera_id]
    if result.scenario.mode == "paced" and isinstance(camera, ScheduledCamera):
        scheduled = math.floor(duration_s * camera.fps)
    else:
        indices = [r.frame_index for r in records]
        scheduled = (max(indices) - min(indices) + 1) if indices else 0
        if not isinstance(camera, ScheduledCamera):  # a live camera: its index gaps are capture drops
            drops["capture"] = max(0, scheduled - len(records) - sum(drops.values()))
    return {
        "frames_scheduled": scheduled,
        "decisions": len(records),
        "decisions_per_s": round(len(records) / duration_s, 2),
        "faces_per_frame": round(sum(r.faces for r in records) / len(records), 2) if records else 0.0,
        "drops": drops,
        "drops_total": sum(drops.values()),
        "stages": stage_table(result, camera_id),
    }
