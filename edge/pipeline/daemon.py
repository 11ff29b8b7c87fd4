"""The daemon assembled: cameras, capture threads, pipeline worker, publisher, service lifecycle.

Start-up order (systemd's READY=1 is sent only at the end): configuration and model checked
(``edge.config.check_model``) → engine loaded and warmed up → detector loaded → publisher sockets
bound → cameras opened → the worker's first frame done (the whole pipeline warm) → ``READY=1``. The main thread then supervises: signals (SIGTERM/SIGINT
stop within 2 s; SIGHUP reloads thresholds, decision policy and logging), the progress watchdog,
one status message per camera per period, ``STATUS=`` for ``systemctl status``, and the health
of every thread — a thread that died ends the process with a non-zero code so systemd restarts it.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from camera_plugins.registry import create_camera
from edge.config import ConfigError, DaemonConfig, check_model, load_config
from edge.decision import Decider
from edge.messages import BackendInfo, Drops, LatencyPercentiles, ModelInfo, Status
from edge.pipeline.capture import CaptureThread
from edge.pipeline.slot import LatestFrameSlots
from edge.pipeline.stages import CameraRuntime, camera_finders
from edge.pipeline.worker import PipelineWorker
from edge.publishing.publisher import Publisher
from edge.publishing.handoff import PublishQueue
from edge.service import Notifier, ProgressWatchdog, configure_logging, watchdog_period_s
from engines.runtime.selection import open_engine

log = logging.getLogger(__name__)

#: Exit codes: a thread died (systemd restarts us); start-up could not complete.
EXIT_THREAD_DIED = 70  # EX_SOFTWARE
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: e.g. a publish endpoint already in use
#: SIGTERM must end the process within 2 s (issue 6): capture and worker joins share the first
#: budget, the publisher's flush and bounded linger the second; the rest is interpreter exit.
SHUTDOWN_BUDGET_S = 1.0
PUBLISHER_STOP_S = 0.4


class Daemon:
    def __init__(self, config: DaemonConfig, config_path: str | Path | None = None,
                 on_published: Callable[[bytes, bytes], None] | None = None,
                 notifier: Notifier | None = None) -> None:
        self.config = config
        self.config_path = config_path
        self._on_published = on_published
        self.notifier = notifier or Notifier()
        self._stop = threading.Event()
        self._stop_requested_ns: int | None = None
        self._reload = threading.Event()
        self.captures: dict[str, CaptureThread] = {}
        self.worker: PipelineWorker | None = None
        self.publisher: Publisher | None = None

    # ------------------------------------------------------------------ signals (main thread)
    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGHUP, lambda *_: self._reload.set())

    def _on_stop_signal(self, signum: int, _frame) -> None:
        self._stop_requested_ns = time.monotonic_ns()
        self._stop.set()

    # ------------------------------------------------------------------ lifecycle
    def run(self) -> int:
        """Start, supervise until stopped, shut down; returns the process exit code.

        Raises ConfigError (exit 78) for anything the configuration got wrong."""
        config = self.config
        sidecar = check_model(config)
        spec = config.processing
        opened = open_engine(config.model_path(), config.engine.backend,
                             input_chw=(len(sidecar.input.channels), sidecar.input.size_px,
                                        sidecar.input.size_px),
                             max_batch=config.engine.batch_limit, threads=config.engine.threads,
                             gpu=config.engine.gpu, cache_dir=config.engine_cache_dir(),
                             fallback_to_cpu=config.engine.fallback_to_cpu, notifier=self.notifier)
        engine = opened.engine
        warm_up_ms = engine.warm_up()
        info = engine.info()
        log.info("engine %s (%s, %s) loaded %s sha256 %s; warm-up %.1f ms", info.backend,
                 info.precision, info.device, info.artefact_path, info.artefact_sha256[:12], warm_up_ms)
        # A GPU backend that could not start and fell back to the CPU says so in every message.
        self._backend = BackendInfo(name=info.backend, device=_short_device(info.device),
                                    precision=info.precision, fallback=opened.fallback,
                                    fallback_reason=opened.fallback_reason)
        model = ModelInfo(id=f"{sidecar.model.architecture}:{Path(info.artefact_path).name}",
                          sha256=info.artefact_sha256)
        decider = Decider(sidecar.thresholds.per_camera, sidecar.thresholds.uncertain_half_width,
                          config.decision)
        # Detectors load before any socket binds: missing detector weights stop the daemon first.
        finders = camera_finders(config.detection, [c.id for c in config.cameras], config.pipeline.parallel_cameras)
        queue = PublishQueue(config.publish.queue_capacity)
        self.publisher = Publisher(config.publish, queue, on_published=self._on_published)
        self.publisher.start()  # PublishBindError: an endpoint is in use; nothing was sent
        try:
            return self._run_cameras(config, engine, finders, decider, spec, queue, model)
        finally:
            self.publisher.stop(timeout_s=PUBLISHER_STOP_S)
            engine.close()
            if self._stop_requested_ns is not None:
                log.info("stopped %.0f ms after the signal",
                         (time.monotonic_ns() - self._stop_requested_ns) / 1e6)

    def _run_cameras(self, config, engine, finders, decider, spec, queue, model) -> int:
        ids = [c.id for c in config.cameras]
        slots = LatestFrameSlots(ids)
        self._slots = slots
        for camera_config in config.cameras:
            camera = create_camera(camera_config.plugin, camera_config.id, camera_config.options)
            self.captures[camera_config.id] = CaptureThread(
                camera_config.id, camera, slots, read_timeout_s=camera_config.read_timeout_ms / 1000)
        for capture in self.captures.values():
            capture.start()
        try:
            if not self._wait_for_cameras():
                return self._exit_code()
            calibrated = list(decider.calibrated_camera_models)
            runtimes = {c.id: CameraRuntime(c.id, self._threshold_model(c, calibrated), finders[c.id])
                        for c in config.cameras}
            for runtime in runtimes.values():
                log.info("camera %s: threshold of camera model %r = %.3f", runtime.camera_id,
                         runtime.threshold_model, decider.threshold_for(runtime.threshold_model))
            self.worker = PipelineWorker(slots, runtimes, engine, decider, spec, queue, model,
                                         self._backend, jpeg_crops=config.publish.jpeg_crops,
                                         parallel_cameras=config.pipeline.parallel_cameras)
            self.worker.start()
            if not self._wait_for_first_frame():
                return self._exit_code()
            self.notifier.ready(self._status_line())
            log.info("ready: %d camera(s), backend %s", len(ids), self._backend.name)
            self._supervise(decider, queue)
            return self._exit_code()
        finally:
            self.notifier.stopping()
            self._shutdown()

    def _wait_for_cameras(self) -> bool:
        """Until every camera opened once (READY needs them), a thread died, or a stop came."""
        while not self._stop.is_set():
            if all(c.opened.is_set() for c in self.captures.values()):
                return True
            if self._dead_thread() is not None:
                return False
            self._stop.wait(0.05)
        return False

    def _wait_for_first_frame(self) -> bool:
        """Until the worker finished one cycle: detector, registration kernels and engine have
        then all run once on a real frame, so READY=1 means the pipeline is warm."""
        while not self._stop.is_set():
            if self.worker.cycles >= 1:
                return True
            if self._dead_thread() is not None:
                return False
            self._stop.wait(0.02)
        return False

    def _supervise(self, decider: Decider, queue: PublishQueue) -> None:
        watchdog = ProgressWatchdog(self.notifier, watchdog_period_s())
        period_s = self.config.publish.status_period_s
        next_status_s = time.monotonic() + period_s
        while not self._stop.is_set():
            self._stop.wait(0.05)
            if self._dead_thread() is not None:
                return
            if self._reload.is_set():
                self._reload.clear()
                self._reload_config(decider)
            captured = sum(c.frames for c in self.captures.values())
            watchdog.poll(captured, self.worker.cycles)
            if time.monotonic() >= next_status_s:
                next_status_s += period_s
                for camera_id in self.captures:
                    queue.offer(self._status(camera_id, period_s))
                self.notifier.status(self._status_line())

    def _shutdown(self) -> None:
        deadline = time.monotonic() + SHUTDOWN_BUDGET_S
        for capture in self.captures.values():
            capture.stop()
        if self.worker is not None:
            self.worker.stop()
        else:
            self._slots.close()
        threads = [*self.captures.values(), *([self.worker] if self.worker else [])]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:  # daemon threads: the process still exits; say which one would not stop
            log.error("threads still running at shutdown: %s", ", ".join(stuck))

    # ------------------------------------------------------------------ helpers
    def _dead_thread(self) -> str | None:
        """"<thread name> (<its error>)" of a thread that ended while it should run, else None."""
        for thread in [*self.captures.values(), *([self.worker] if self.worker else [])]:
            if thread.error is not None or (not thread.is_alive() and not self._stop.is_set()
                                            and thread.ident is not None):
                return f"{thread.name} ({thread.error})"
        if self.publisher is not None and not self.publisher.running and not self._stop.is_set():
            return f"publisher ({self.publisher.failure})"
        return None

    def _exit_code(self) -> int:
        dead = self._dead_thread() if not self._stop.is_set() else None
        if dead is not None:
            log.error("thread %s died: exiting so the service manager restarts the daemon", dead)
            return EXIT_THREAD_DIED
        return 0

    def _threshold_model(self, camera_config, calibrated: list[str]) -> str:
        """Which calibrated threshold applies: configured, else the camera's ``camera_model``
        option, else the calibrated camera model named in its description ("Intel RealSense
        SR300" → "sr300"), else "default"."""
        if camera_config.threshold_model:
            return camera_config.threshold_model
        option = getattr(camera_config.plugin_options(), "camera_model", None)
        if option:
            return str(option)
        description = self.captures[camera_config.id].description
        reported = description.model.lower() if description is not None else ""
        return next((m for m in calibrated if m != "default" and m in reported), "default")

    def _reload_config(self, decider: Decider) -> None:
        """SIGHUP: re-read the file; apply what can change safely (decision policy, logging)."""
        self.notifier.reloading()
        try:
            fresh = load_config(self.config_path)
        except ConfigError as e:
            log.error("reload refused, keeping the running configuration: %s", e)
        else:
            decider.policy = fresh.decision
            where = configure_logging(fresh.logging.level, fresh.logging.journal)
            changed = [k for k in ("cameras", "detection", "processing", "engine", "publish")
                       if getattr(fresh, k) != getattr(self.config, k)]
            log.info("reloaded %s: decision policy %s, logging %s to %s%s",
                     self.config_path or "(embedded default)", fresh.decision.model_dump(),
                     fresh.logging.level, where,
                     f"; not applied without a restart: {', '.join(changed)}" if changed else "")
        self.notifier.notify("READY=1", f"STATUS={self._status_line()}")

    def _status(self, camera_id: str, period_s: float) -> Status:
        capture = self.captures[camera_id]
        counters = self.worker.counters[camera_id]
        slot = self._slots.counters(camera_id)
        latency = {stage: LatencyPercentiles(count=p["count"], p50_ms=p["p50"], p90_ms=p["p90"],
                                             p99_ms=p["p99"], max_ms=p["max"])
                   for stage, p in counters.latency.take_summary().items()}
        return Status(
            camera_id=camera_id, camera_state=capture.state, capture_fps=capture.rate.rate_per_s(),
            processed_fps=counters.processed.rate_per_s(),
            drops=Drops(stages={"latest_frame_slot": slot.dropped,
                                "bad_frames": capture.bad_frames + counters.bad_frames}),
            backend=self._backend, latency_ms=latency, period_s=period_s,
        )

    def _status_line(self) -> str:
        parts = []
        for camera_id, capture in self.captures.items():
            fps = self.worker.counters[camera_id].processed.rate_per_s() if self.worker else 0.0
            p99 = self.worker.counters[camera_id].total.percentiles("total") if self.worker else None
            parts.append(f"{camera_id} {capture.state.value} {fps:.1f} fps"
                         + (f" p99 {p99['p99']:.1f} ms" if p99 else ""))
        backend = self._backend.name + (" (CPU FALLBACK)" if self._backend.fallback else "")
        return f"{backend}; " + "; ".join(parts)


def _short_device(device: str) -> str:
    return "cpu" if device == "CPUExecutionProvider" else device.removesuffix("ExecutionProvider").lower()
