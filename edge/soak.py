"""Soak: run the daemon for a long time at camera rate and watch its resources (issue 10).

    python -m edge.soak                                # 10 min on the embedded default (sim, 30 fps)
    python -m edge.soak --camera replay                # 30 fps even where rendering is slower
    python -m edge.soak --duration-s 3600 --config /etc/edge/edge.toml --endpoint tcp://127.0.0.1:5560

The daemon runs as a child process with a paced 30 fps ``sim`` camera, or a looping replay of
simulator frames stamped at 30 fps (``--camera replay``: on a machine that renders slower than
30 fps only this really feeds 30 fps), or the given configuration, publishing on free loopback ports; a subscriber in this process reads every
decision and status, so the publishing side is exercised too. Every ``--sample-s`` the child's
resident memory (RSS), thread count and open file descriptors are sampled with psutil. After
``--warm-up-s`` (JIT compilation, detector and engine arenas, the simulator's caches) the first
sample is the baseline; the soak passes when no later sample exceeds the baseline RSS by more
than ``--max-rss-growth`` (5 %), and the threads and descriptors held in the last quarter of the
run (the lowest count sampled there) are no more than in the first quarter. Exit status 0
means it passed, 1 that it failed (the reason printed), 2 that the daemon died.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import psutil

from edge.message_check import Accepted, Rejected
from edge.messages import MessageKind
from edge.subscriber import Subscriber


@dataclass
class Sample:
    elapsed_s: float
    rss_mib: float
    threads: int
    fds: int
    decisions: int
    capture_fps: float
    processed_fps: float


@dataclass
class SoakReport:
    duration_s: float
    warm_up_s: float
    baseline: Sample | None = None
    samples: list[Sample] = field(default_factory=list)
    decisions: int = 0
    statuses: int = 0
    rejected: int = 0
    missed: int = 0
    problems: list[str] = field(default_factory=list)

    def judge(self, max_rss_growth: float) -> None:
        after = [s for s in self.samples if s.elapsed_s >= self.warm_up_s]
        if not after:
            self.problems.append("no sample after the warm-up; run longer")
            return
        self.baseline = after[0]
        peak_rss = max(s.rss_mib for s in after)
        growth = peak_rss / self.baseline.rss_mib - 1.0
        if growth > max_rss_growth:
            self.problems.append(f"RSS grew {growth:.1%} after warm-up ({self.baseline.rss_mib:.1f} → "
                                 f"{peak_rss:.1f} MiB), more than {max_rss_growth:.0%}")
        # A leak holds what it took: compare the lowest count of the last quarter with the
        # lowest of the first. (A frame file open at the moment of a sample is not a leak.)
        quarter = max(1, len(after) // 4)
        for what in ("threads", "fds"):
            early = min(getattr(s, what) for s in after[:quarter])
            late = min(getattr(s, what) for s in after[-quarter:])
            if late > early:
                self.problems.append(f"{what} grew after warm-up: at least {early} early, {late} late")
        if self.decisions == 0:
            self.problems.append("no decision was received")

    def summary(self) -> dict:
        after = [s for s in self.samples if s.elapsed_s >= self.warm_up_s]
        result = {"duration_s": self.duration_s, "warm_up_s": self.warm_up_s,
                  "decisions": self.decisions, "statuses": self.statuses,
                  "rejected": self.rejected, "missed_in_gaps": self.missed,
                  "passed": not self.problems, "problems": self.problems}
        if self.baseline is not None and after:
            result.update({
                "rss_mib_baseline": round(self.baseline.rss_mib, 1),
                "rss_mib_peak": round(max(s.rss_mib for s in after), 1),
                "rss_mib_last": round(after[-1].rss_mib, 1),
                "rss_growth_pct": round(100 * (max(s.rss_mib for s in after) / self.baseline.rss_mib - 1), 2),
                "threads_baseline": self.baseline.threads, "threads_peak": max(s.threads for s in after),
                "fds_baseline": self.baseline.fds, "fds_peak": max(s.fds for s in after),
                "capture_fps_median": sorted(s.capture_fps for s in after)[len(after) // 2],
                "processed_fps_median": sorted(s.processed_fps for s in after)[len(after) // 2],
            })
        return result


def _free_loopback_endpoint() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def default_soak_config(directory: Path, model: Path | None = None) -> tuple[Path, str]:
    """The embedded default (sim camera, 30 fps, shipped model or ``model``) on free loopback ports."""
    text = resources.files("edge").joinpath("default.toml").read_text()
    if model is not None:
        text = text.replace("[engine]\n", f"[engine]\nmodel = {json.dumps(str(model.resolve()))}\n")
    pub, snap = _free_loopback_endpoint(), _free_loopback_endpoint()
    text = text.replace('"tcp://127.0.0.1:5560"', f'"{pub}"').replace('"tcp://127.0.0.1:5561"', f'"{snap}"')
    text += "\n[decision]\nexpiry_ms = 5000\n"  # a loaded soak box must not turn decisions stale
    path = directory / "soak.toml"
    path.write_text(text)
    return path, pub


def camera_rate_recording(directory: Path, frames: int = 300, fps: float = 30.0,
                          first_frame: int = 240) -> Path:
    """The simulator's demo (from ``first_frame``: a person in front of the camera, then a print
    attack), rendered once and stamped exactly 1/fps apart, so that a looping replay delivers
    30 fps however slowly this machine renders. Returns the recording's directory."""
    from camera_plugins.sim import SimCamera
    from camera_plugins.sim.render import SimRenderer
    from camera_plugins.sim.scenarios import demo_scene
    from edge.recording import RecordingWriter

    camera = SimCamera("cam1")
    camera.open()
    description = camera.describe()
    camera.close()
    renderer = SimRenderer("sr300", "640x480", seed=0)
    period_ns = int(1e9 / fps)
    wall0, mono0 = time.time_ns(), time.monotonic_ns()
    path = directory / "camera-rate-recording"
    with RecordingWriter(path, "cam1", description) as writer:
        for i in range(frames):
            index = first_frame + i
            frame = renderer.render(demo_scene(index, fps), index, camera_id="cam1")
            stamps = dataclasses.replace(frame.timestamps, host_wall_ns=wall0 + i * period_ns,
                                         host_monotonic_ns=mono0 + i * period_ns)
            writer.append(dataclasses.replace(frame, timestamps=stamps))
    return path


def replay_soak_config(directory: Path, recording: Path, model: Path | None) -> tuple[Path, str]:
    """Like the default, with the camera-rate recording looping in place of the live simulator."""
    path, endpoint = default_soak_config(directory, model)
    camera = (f'[[cameras]]\nid = "cam1"\nplugin = "replay"\nthreshold_model = "sr300"\n'
              f'options = {{ path = {json.dumps(str(recording))}, loop = true, host_timestamps = "now" }}\n')
    text = path.read_text()
    start, end = text.index("[[cameras]]"), text.index("[engine]")
    path.write_text(text[:start] + camera + "\n" + text[end:])
    return path, endpoint


def soak(config: Path, endpoint: str, duration_s: float, warm_up_s: float, sample_s: float,
         max_rss_growth: float, log_path: Path) -> SoakReport:
    report = SoakReport(duration_s=duration_s, warm_up_s=warm_up_s)
    with open(log_path, "w") as log, Subscriber([endpoint], expiry_grace_ms=5000) as subscriber:
        child = subprocess.Popen([sys.executable, "-m", "edge.cli.daemon", "run", "--config", str(config)],
                                 stdout=log, stderr=subprocess.STDOUT)
        process = psutil.Process(child.pid)
        start = time.monotonic()
        next_sample = start + sample_s
        capture_fps = fps = 0.0
        try:
            while (now := time.monotonic()) - start < duration_s:
                if child.poll() is not None:
                    report.problems.append(f"the daemon exited with {child.returncode} after "
                                           f"{now - start:.0f} s; see {log_path}")
                    return report
                message = subscriber.receive(timeout_ms=100)
                if isinstance(message, Rejected):
                    report.rejected += 1
                elif isinstance(message, Accepted):
                    report.missed += message.missed
                    if message.kind is MessageKind.DECISION:
                        report.decisions += 1
                    else:
                        report.statuses += 1
                        capture_fps, fps = message.body.capture_fps, message.body.processed_fps
                if now >= next_sample:
                    next_sample += sample_s
                    report.samples.append(Sample(
                        elapsed_s=round(now - start, 1), rss_mib=process.memory_info().rss / 2**20,
                        threads=process.num_threads(), fds=process.num_fds(),
                        decisions=report.decisions, capture_fps=capture_fps, processed_fps=fps))
        finally:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    report.judge(max_rss_growth)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edge.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration-s", type=float, default=600.0)
    parser.add_argument("--warm-up-s", type=float, default=120.0)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--max-rss-growth", type=float, default=0.05, help="fraction, 0.05 = 5 %%")
    parser.add_argument("--config", type=Path, help="daemon configuration (default: embedded, free ports)")
    parser.add_argument("--endpoint", help="its publish endpoint (required with --config)")
    parser.add_argument("--model", type=Path, help="exported model for the default configuration "
                        "(default: the shipped one)")
    parser.add_argument("--camera", choices=("sim", "replay"), default="sim",
                        help="sim: the live simulator, paced at 30 fps if this machine renders that fast; "
                        "replay: the simulator's frames rendered first, then replayed at exactly 30 fps")
    parser.add_argument("--json", type=Path, help="write the report (with every sample) here")
    args = parser.parse_args(argv)
    if args.warm_up_s >= args.duration_s:
        parser.error("--warm-up-s must be shorter than --duration-s")
    if args.config is not None and not args.endpoint:
        parser.error("--config needs --endpoint (its publish.endpoints entry for tcp:// on this host)")
    with tempfile.TemporaryDirectory(prefix="edge-soak-") as tmp:
        if args.config:
            config, endpoint = args.config, args.endpoint
        elif args.camera == "replay":
            config, endpoint = replay_soak_config(Path(tmp), camera_rate_recording(Path(tmp)), args.model)
        else:
            config, endpoint = default_soak_config(Path(tmp), args.model)
        log_path = Path(args.json).with_suffix(".log") if args.json else Path(tmp) / "daemon.log"
        report = soak(config, endpoint, args.duration_s, args.warm_up_s, args.sample_s,
                      args.max_rss_growth, log_path)
        summary = report.summary()
        print(json.dumps(summary, indent=2))
        if args.json:
            args.json.write_text(json.dumps({**summary, "samples": [asdict(s) for s in report.samples]},
                                            indent=2))
        died = any("exited" in p for p in report.problems)
        if died and not args.json:
            print(Path(log_path).read_text()[-4000:], file=sys.stderr)
    return 2 if died else (0 if summary["passed"] else 1)


if __name__ == "__main__":
    sys.exit(main())
