"""The daemon's configuration: one TOML file, validated against a typed schema.

Sections: ``[[cameras]]`` (several; each a plugin name and that plugin's typed options),
``[detection]``, ``[processing]`` (must equal the model sidecar's preprocessing spec),
``[engine]``, ``[decision]``, ``[publish]``, ``[logging]``. Unknown keys are errors. Every
problem is reported as one line naming the key, the value found and the fix, and the daemon
exits with 78 (EX_CONFIG, sysexits.h) before it opens a camera or binds a socket.

With no file the embedded default (``edge/default.toml``) runs: the ``sim`` camera's demo
scenario, the shipped model on ONNX Runtime (CPU), publishing on loopback.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pydantic

from camera_plugins.registry import UnknownPlugin, plugin_class
from edge.decision import DecisionPolicy
from edge.detection.config import DetectionConfig
from edge.messages import CAMERA_ID_PATTERN
from edge.processing.spec import PreprocessSpec
from edge.publishing.config import PublishConfig
from engines.runtime.gpu_options import GpuOptions
from engines.runtime.registry import BACKENDS
from engines.sidecar import Sidecar, SidecarError, load_sidecar

#: sysexits.h EX_CONFIG: systemd units list it in RestartPreventExitStatus, since restarting
#: cannot fix a bad file.
EX_CONFIG = 78

#: Where the shipped model lives inside the installed package (``engines/models/``).
SHIPPED_MODEL_NAME = "afa_sim.onnx"


def shipped_model_path() -> Path:
    return Path(str(resources.files("engines"))) / "models" / SHIPPED_MODEL_NAME


class ConfigError(Exception):
    """The configuration cannot run; ``problems`` holds one line per problem."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"configuration {source}: " + "; ".join(problems))

    def report(self) -> str:
        lines = [f"edge-daemon: configuration {self.source} is not valid:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class CameraConfig(_Section):
    #: Names the camera in topics and logs: one topic level, so no "/".
    id: str = pydantic.Field(pattern=CAMERA_ID_PATTERN)
    #: A registered camera plugin ("sim", "replay", "sr300", "dcam710", or a third party's).
    plugin: str
    #: The plugin's own options, validated against its ``Options`` schema.
    options: dict[str, Any] = pydantic.Field(default_factory=dict)
    #: How long one blocking read may wait before it counts as a timeout.
    read_timeout_ms: int = pydantic.Field(default=1000, ge=10, le=60_000)
    #: The camera model whose calibrated threshold applies ("sr300", "dcam710"); empty = ask
    #: the camera (its ``camera_model`` option, else its description's model).
    threshold_model: str = ""

    @pydantic.model_validator(mode="after")
    def _plugin_exists_and_options_fit(self) -> CameraConfig:
        self.plugin_options()
        return self

    def plugin_options(self):
        try:
            cls = plugin_class(self.plugin)
        except UnknownPlugin as e:
            raise ValueError(f"plugin: {e}") from None
        except Exception as e:  # a broken third-party package: say which, do not crash
            raise ValueError(f"plugin: camera plugin {self.plugin!r} is installed but fails to "
                             f"load ({type(e).__name__}: {e}); reinstall or fix that package") from None
        try:
            return cls.Options.model_validate(self.options)
        except pydantic.ValidationError as e:
            problems = "; ".join(_describe_error(err, prefix="options.") for err in e.errors())
            raise ValueError(f"options of camera plugin {self.plugin!r}: {problems}") from None


class EngineConfig(_Section):
    #: "auto" picks by the model file's type (.onnx → onnxruntime, .pt/.pt2 → torch).
    backend: str = "auto"
    #: Model artefact; relative paths are relative to the configuration file. Empty = shipped model.
    model: str = ""
    #: Intra-op threads of the inference backend.
    threads: int = pydantic.Field(default=1, ge=1, le=256)
    #: Most faces in one engine call (all cameras together); larger batches are split.
    #: For TensorRT it is also the optimisation profile's largest batch.
    batch_limit: int = pydantic.Field(default=16, ge=1, le=1024)
    #: When a GPU backend (tensorrt, torch_cuda) cannot start: false = stop with the reason;
    #: true = run the ONNX model on ONNX Runtime (CPU) and say so in every status message.
    fallback_to_cpu: bool = False
    #: TensorRT engine cache; empty = systemd's CacheDirectory= ($CACHE_DIRECTORY), else
    #: ~/.cache/edge-fas/engines. Relative paths are relative to the configuration file.
    cache_dir: str = ""
    #: Precision, device, TensorRT profile and CUDA graphs of the GPU backends.
    gpu: GpuOptions = GpuOptions()

    @pydantic.field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value != "auto" and value not in BACKENDS:
            raise ValueError(f"unknown backend; use one of: auto, {', '.join(sorted(BACKENDS))}")
        return value


class PipelineConfig(_Section):
    #: With several cameras, detect and prepare each camera's frame on its own thread (each with
    #: its own detector; OpenCV and the numba kernels release the GIL), then score all faces in
    #: one engine call. Two cameras then take about one camera's time on two cores instead of
    #: twice it. false: one thread does every camera in turn, sharing one detector.
    parallel_cameras: bool = True


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: "auto": the journal when run by systemd, stderr otherwise.
    journal: Literal["auto", "always", "never"] = "auto"


class DaemonConfig(_Section):
    cameras: list[CameraConfig] = pydantic.Field(min_length=1)
    detection: DetectionConfig = DetectionConfig()
    processing: PreprocessSpec = PreprocessSpec()
    engine: EngineConfig = EngineConfig()
    decision: DecisionPolicy = DecisionPolicy()
    publish: PublishConfig = PublishConfig()
    pipeline: PipelineConfig = PipelineConfig()
    logging: LoggingConfig = LoggingConfig()
    #: Directory relative paths are resolved against (set by the loader, not by the file).
    base_dir: Path = pydantic.Field(default=Path("."), exclude=True)
    #: Where it came from, for error messages (set by the loader).
    source: str = pydantic.Field(default="<string>", exclude=True)

    @pydantic.field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        ids = [c.id for c in cameras]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"camera id(s) {duplicates} used more than once; give each camera its own id")
        return cameras

    def engine_cache_dir(self) -> Path | None:
        """engine.cache_dir resolved against the file's folder; None = the default place."""
        if not self.engine.cache_dir:
            return None
        path = Path(self.engine.cache_dir).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    def model_path(self) -> Path:
        if not self.engine.model:
            return shipped_model_path()
        path = Path(self.engine.model).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)


def _describe_error(err: dict, prefix: str = "") -> str:
    """One line: key, the value found, what is wrong and how to fix it."""
    key = prefix + ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    value = err.get("input")
    message = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"{key}: unknown key (value {value!r}); remove it or correct its spelling"
    if kind == "missing":
        return f"{key}: required key is missing; add it"
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return f"{key} = {shown}: {message}"


def parse_config(text: str, source: str = "<string>", base_dir: Path | None = None) -> DaemonConfig:
    """Validate TOML text; raises ConfigError listing every problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, [f"not valid TOML: {e}; fix the syntax at that line"]) from None
    try:
        config = DaemonConfig.model_validate(document)
    except pydantic.ValidationError as e:
        raise ConfigError(source, [_describe_error(err) for err in e.errors()]) from None
    return config.model_copy(update={"base_dir": base_dir or Path("."), "source": source})


def load_config(path: str | Path | None = None) -> DaemonConfig:
    """The file's configuration, or the embedded default when ``path`` is None."""
    if path is None:
        text = resources.files("edge").joinpath("default.toml").read_text()
        return parse_config(text, source="(embedded default)", base_dir=Path("."))
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(str(path), [f"cannot read the file: {e.strerror}; check the path"]) from None
    return parse_config(text, source=str(path), base_dir=path.resolve().parent)


def check_model(config: DaemonConfig) -> Sidecar:
    """The model's sidecar, after checking the file exists, matches its sidecar's sha256, and
    was trained with this configuration's preprocessing; raises ConfigError otherwise."""
    path = config.model_path()
    shown = f"engine.model = {config.engine.model!r}" if config.engine.model else "engine.model (shipped)"
    if not path.is_file():
        fix = ("point engine.model at an exported model (an .onnx with its .json sidecar)"
               if config.engine.model else
               "the shipped model is not installed in this package; set engine.model to an exported model")
        raise ConfigError(config.source, [f"{shown}: file {str(path)!r} not found; {fix}"])
    try:
        sidecar = load_sidecar(path)
    except SidecarError as e:
        raise ConfigError(config.source, [f"{shown}: {e}"]) from None
    ours, trained = config.processing.to_dict(), sidecar.preprocess
    problems = []
    for key in sorted(set(ours) | set(trained)):
        if key not in trained:
            problems.append(f"processing.{key} = {ours[key]!r}, but model {path.name}'s sidecar has "
                            "no such preprocessing key; re-export the model with this version")
        elif key not in ours:
            problems.append(f"model {path.name} was trained with preprocessing key {key!r} = "
                            f"{trained[key]!r} that this version does not know; use a matching release")
        elif ours[key] != trained[key]:
            problems.append(f"processing.{key} = {ours[key]!r} but model {path.name} was trained with "
                            f"{trained[key]!r}; set processing.{key} = {trained[key]!r} or use a model "
                            "exported for this preprocessing")
    if problems:
        raise ConfigError(config.source, problems)
    return sidecar
