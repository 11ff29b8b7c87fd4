"""The engine cache: pick the engine built for exactly this key, or rebuild it — loudly, saying why.

Engines live in one directory: the ``engine.cache_dir`` setting, else systemd's
``CacheDirectory=`` (the service manager exports it as ``$CACHE_DIRECTORY``), else
``$XDG_CACHE_HOME/edge-fas/engines`` (``~/.cache/edge-fas/engines``). Each engine is named by its
key (``cache_key.EngineKey.file_name``) and has a sidecar with the same facts and its own sha256.

The decision (``decide``) needs no GPU: it compares files with a key. A build holds an exclusive
lock on ``<engine>.lock``, so two daemons on one box (template units) build once, the second
waiting and then finding the engine; the engine and then its sidecar are written atomically, so a
killed build leaves no engine a later start could mistake for complete.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engines.runtime.base import EngineError, file_sha256
from engines.tensorrt.atomic import atomic_write_bytes
from engines.tensorrt.cache_key import BuildSpec, EngineKey
from engines.tensorrt.engine_sidecar import (EngineSidecar, EngineSidecarError, engine_sidecar_path,
                                             mismatches, read_engine_sidecar, write_engine_sidecar)
from engines.tensorrt.heartbeat import ExtendTimeoutHeartbeat, SdNotifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltEngine:
    """What a builder returns: the serialised engine and the input it takes."""

    engine_bytes: bytes
    input_name: str
    input_chw: tuple[int, int, int]


#: (onnx model, build spec, timing cache file) → the built engine. The real one is
#: ``engines.tensorrt.builder.build_serialized_engine``.
Builder = Callable[[Path, BuildSpec, Path], BuiltEngine]


@dataclass(frozen=True)
class CacheDecision:
    engine_path: Path
    rebuild: bool
    #: Why a rebuild is needed (empty when the cached engine is used).
    reasons: tuple[str, ...] = ()


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("CACHE_DIRECTORY"):
        # systemd joins several CacheDirectory= entries with ":"; the first is ours.
        return Path(env["CACHE_DIRECTORY"].split(":")[0])
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "edge-fas" / "engines"


class EngineCache:
    def __init__(self, directory: str | Path | None = None, environ: Mapping[str, str] | None = None,
                 heartbeat_period_s: float = 10.0, heartbeat_extend_s: float = 30.0) -> None:
        self.directory = Path(directory).expanduser() if directory else default_cache_dir(environ)
        self.heartbeat_period_s = heartbeat_period_s
        self.heartbeat_extend_s = heartbeat_extend_s

    def engine_path(self, key: EngineKey) -> Path:
        return self.directory / key.file_name()

    def decide(self, key: EngineKey) -> CacheDecision:
        """Use the cached engine for ``key``, or rebuild — with every reason why."""
        path = self.engine_path(key)
        if not path.is_file():
            return CacheDecision(path, True, tuple(self._why_absent(key)))
        try:
            sidecar = read_engine_sidecar(path)
        except EngineSidecarError as e:
            return CacheDecision(path, True, (f"{e} (an interrupted build or a copied file)",))
        differing = mismatches(sidecar, key)
        if differing:
            return CacheDecision(path, True, tuple(f"{path.name} was built for another target: {d}"
                                                   for d in differing))
        actual = file_sha256(path)
        if actual != sidecar.engine_sha256:
            return CacheDecision(path, True, (
                f"{path.name} has sha256 {actual[:12]} but its sidecar records "
                f"{sidecar.engine_sha256[:12]}: the file was truncated or replaced",))
        return CacheDecision(path, False)

    def _why_absent(self, key: EngineKey) -> list[str]:
        """Name the facts that changed since the newest engine of the same model name."""
        siblings = []
        for candidate in self.directory.glob("*.engine"):
            try:
                sidecar = read_engine_sidecar(candidate)
            except EngineSidecarError:
                continue
            if sidecar.model_file == key.model_name:
                siblings.append((candidate.stat().st_mtime, candidate, sidecar))
        if not siblings:
            return [f"no engine for {key.model_name} in {self.directory} yet"]
        _, newest, sidecar = max(siblings, key=lambda entry: entry[0])
        return [f"the cached {newest.name} does not match: {d}" for d in mismatches(sidecar, key)]

    def ensure(self, onnx_path: str | Path, key: EngineKey, spec: BuildSpec, build: Builder,
               notifier: SdNotifier | None = None, force: bool = False) -> Path:
        """The path of a valid engine for ``key``, building it first when needed."""
        onnx_path = Path(onnx_path)
        decision = self.decide(key)
        if not decision.rebuild and not force:
            log.info("TensorRT engine %s is current (cache %s)", decision.engine_path.name, self.directory)
            return decision.engine_path
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = _exclusive_lock(decision.engine_path.with_suffix(".lock"))
        except OSError as e:
            raise EngineError(f"tensorrt backend: cannot write to the engine cache {self.directory}: "
                              f"{e.strerror}; set engine.cache_dir to a writable directory (under "
                              "systemd, CacheDirectory= gives the service one)") from e
        with lock:
            if not force:
                decision = self.decide(key)  # another process may have built it while we waited
                if not decision.rebuild:
                    log.info("TensorRT engine %s was built by another process", decision.engine_path.name)
                    return decision.engine_path
            reasons = decision.reasons or ("rebuild forced",)
            log.warning("building TensorRT engine %s from %s (%s, batch %s); reason: %s",
                        decision.engine_path.name, onnx_path.name, spec.precision,
                        "/".join(map(str, spec.profile.as_tuple())), "; ".join(reasons))
            self._build(onnx_path, key, spec, build, notifier, decision.engine_path)
        return decision.engine_path

    def _build(self, onnx_path: Path, key: EngineKey, spec: BuildSpec, build: Builder,
               notifier: SdNotifier | None, engine_path: Path) -> None:
        start_s = time.monotonic()
        with ExtendTimeoutHeartbeat(notifier, f"building TensorRT engine {engine_path.name}",
                                    self.heartbeat_period_s, self.heartbeat_extend_s):
            built = build(onnx_path, spec, self.directory / key.timing_cache_name())
        build_s = time.monotonic() - start_s
        # Engine first, sidecar second: a sidecar never describes bytes that are not all there.
        engine_sidecar_path(engine_path).unlink(missing_ok=True)
        atomic_write_bytes(engine_path, built.engine_bytes)
        write_engine_sidecar(EngineSidecar(
            model_file=key.model_name, engine_file=engine_path.name,
            engine_sha256=file_sha256(engine_path), input_name=built.input_name,
            input_chw=built.input_chw, built_at_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            build_seconds=round(build_s, 3), workspace_mib=spec.workspace_mib,
            **key.fields()), engine_path)
        log.warning("built TensorRT engine %s in %.1f s", engine_path.name, build_s)


class _exclusive_lock:
    """``flock`` on a lock file beside the engine; opened at once, so a read-only cache fails early."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "a")

    def __enter__(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc_info) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
