"""``edge-bench``: latency of the daemon's pipeline, per stage and end to end, with budgets.

    edge-bench --duration-s 60                                # 1 sim camera, 1 face, paced 30 fps
    edge-bench --cameras 2 --faces 3 --mode closed            # throughput, 2 cameras × 3 faces
    edge-bench --source replay --recording rec/ --json out.json --csv frames.csv
    edge-bench --source config --config edge.toml             # the cameras of a daemon config (live)
    edge-bench --skip-pipeline --compare registration hole_filling detectors
    edge-bench --assert-p99-ms 33 --assert-fps 29 --budget inference:p99:10

Exit status: 0 when every budget is met, 1 when one is missed, 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

import pydantic

from edge.bench import budgets as budget_rules
from edge.bench import compare, environment, report
from edge.bench.harness import Scenario, run
from edge.bench.jitter import fixed_work_jitter
from edge.bench.markdown import markdown
from edge.bench.sources import ScheduledCamera, recording_bank, sim_bank
from edge.config import ConfigError, DaemonConfig, load_config
from engines.runtime.base import EngineError

EXIT_BUDGET_MISSED = 1
EXIT_USAGE = 2
COMPARISONS = ("registration", "hole_filling", "detectors")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edge-bench", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("pipeline under test")
    g.add_argument("--config", help="daemon configuration (engine, detection, processing); default: the embedded one")
    g.add_argument("--model", help="model file (.onnx with its .json sidecar, .engine, .pt2); overrides engine.model")
    g.add_argument("--untrained-afa", type=float, metavar="WIDTH",
                   help="time an untrained AFA of this width multiplier (e.g. 0.25) instead of a trained model: "
                        "the forward pass costs the same whatever the weights (needs torch)")
    g.add_argument("--backend", help="engine backend (auto, onnxruntime, torch, torch_cuda, tensorrt); overrides engine.backend")
    g.add_argument("--threads", type=int, help="intra-op threads of the engine; overrides engine.threads")
    g.add_argument("--detector", choices=("yunet", "mtcnn"), help="overrides detection.detector")
    g = p.add_argument_group("source")
    g.add_argument("--source", choices=("sim", "replay", "config"), default="sim",
                   help="sim: simulator frames rendered before the run; replay: an edge-record recording; "
                        "config: the [[cameras]] of --config as the daemon opens them (live cameras)")
    g.add_argument("--scenario", choices=("faces", "demo", "random"), default="faces", help="sim scenario")
    g.add_argument("--faces", type=int, default=1, help="faces per frame (sim scenario 'faces')")
    g.add_argument("--camera-model", choices=("sr300", "dcam710"), default="sr300")
    g.add_argument("--resolution", choices=("640x480", "1920x1080"), default="640x480")
    g.add_argument("--bank-frames", type=int, default=30, help="distinct frames prepared before the run, played in a loop")
    g.add_argument("--recording", help="recording directory for --source replay")
    g = p.add_argument_group("scenario")
    g.add_argument("--mode", choices=("paced", "closed"), default="paced",
                   help="paced: frames released at --fps, latency from each frame's scheduled time; closed: closed loop")
    g.add_argument("--cameras", type=int, default=1, help="cameras fed from the source (sim / replay)")
    g.add_argument("--fps", type=float, default=30.0)
    g.add_argument("--duration-s", type=float, default=60.0, help="measured window (after the warm-up)")
    g.add_argument("--warm-up-s", type=float, default=5.0, help="run and discarded before measuring")
    g.add_argument("--stall", action="append", default=[], metavar="FRAME:MS",
                   help="hold back camera 1's read of frame FRAME by MS milliseconds (to see stalls counted)")
    g = p.add_argument_group("comparisons (interleaved A/B/A/B)")
    g.add_argument("--compare", nargs="+", choices=COMPARISONS, default=[])
    g.add_argument("--compare-engine", metavar="MODEL[@BACKEND]",
                   help="compare the engine under test with this model/backend on the same batch")
    g.add_argument("--compare-config", metavar="TOML",
                   help="compare the stage functions under --config with those under this configuration, frame by frame")
    g.add_argument("--compare-batch", type=int, default=4, help="faces per engine call in --compare-engine")
    g.add_argument("--pairs", type=int, default=10, help="A/B pairs per comparison")
    g.add_argument("--repeats", type=int, default=20, help="calls per side in each pair")
    g.add_argument("--skip-pipeline", action="store_true", help="no threaded run (comparisons / CPU pass only)")
    g.add_argument("--cpu-pass", type=int, default=0, metavar="FRAMES",
                   help="also run the stage functions on FRAMES frames in one thread and report the process "
                        "CPU time per stage: where the time goes, steady on a loaded machine")
    g.add_argument("--jitter-probe-s", type=float, default=5.0, metavar="S",
                   help="before the run, time fixed single-thread work for S seconds and report its p99/p50: "
                        "the machine's own tail, which no pipeline here can beat (0: skip)")
    g = p.add_argument_group("output and budgets")
    g.add_argument("--json", help="write the report (schema edge/schema/bench.v1.schema.json) here")
    g.add_argument("--csv", help="write one row per measured frame here")
    g.add_argument("--markdown", help="write the report as Markdown here (for a README performance section)")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: on a terminal, for runs of 10 s or more)")
    g.add_argument("--assert-p99-ms", type=float, help="fail unless end-to-end p99 ≤ this")
    g.add_argument("--assert-fps", type=float, help="fail unless every camera reaches this many decisions/s")
    g.add_argument("--assert-drops", type=int, help="fail if more frames than this are dropped")
    g.add_argument("--budget", action="append", default=[], metavar="STAGE:STAT:MS",
                   help="fail unless STAGE's STAT (p50…p99, max, mean) ≤ MS, e.g. inference:p99:10")
    return p


def bench_config(args: argparse.Namespace) -> DaemonConfig:
    """The daemon configuration with the command line's overrides; publishing on free loopback ports."""
    config = load_config(args.config)
    if args.untrained_afa is not None:
        if args.model:
            raise ValueError("give either --model or --untrained-afa, not both")
        from edge.bench.stand_in_model import untrained_afa
        args.model = str(untrained_afa(tempfile.mkdtemp(prefix="edge-bench-"), args.untrained_afa))
    engine = {k: v for k, v in (("model", str(Path(args.model).resolve()) if args.model else None),
                                ("backend", args.backend), ("threads", args.threads)) if v is not None}
    update = {"engine": config.engine.model_copy(update=engine),
              "publish": config.publish.model_copy(update={"endpoints": ["tcp://127.0.0.1:*"],
                                                           "snapshot_endpoints": ["tcp://127.0.0.1:*"]})}
    if args.detector:
        update["detection"] = config.detection.model_copy(update={"detector": args.detector})
    # Re-validate: a bad override must fail here with the key named, like a bad file.
    merged = config.model_copy(update=update)
    try:
        DaemonConfig.model_validate(merged.model_dump())
    except pydantic.ValidationError as e:
        raise ValueError("; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
                         + " (from the command line's overrides)") from None
    return merged


def cameras_for(args: argparse.Namespace, config: DaemonConfig) -> tuple[dict, str, int | str]:
    """Camera id → plugin, a description of the source, faces per frame."""
    if args.source == "config":
        if args.stall or args.mode == "closed":
            raise ValueError("--stall and --mode closed need a source whose frames edge-bench releases "
                             "(--source sim or replay); a live camera keeps its own pace")
        from camera_plugins.registry import create_camera
        cams = {c.id: create_camera(c.plugin, c.id, c.options) for c in config.cameras}
        return cams, "cameras of " + (args.config or "the embedded default") + ": " + ", ".join(
            f"{c.id}={c.plugin}" for c in config.cameras), "as seen"
    if args.source == "replay":
        if not args.recording:
            raise ValueError("--source replay needs --recording DIR (a directory written by edge-record)")
        bank, faces = recording_bank(args.recording, args.bank_frames), "as recorded"
    else:
        bank = sim_bank(args.scenario, args.faces, args.bank_frames, args.camera_model, args.resolution, args.fps)
        faces = args.faces if args.scenario == "faces" else f"scenario {args.scenario}"
    stalls = {}
    for text in args.stall:
        frame, _, ms = text.partition(":")
        try:
            stalls[int(frame)] = float(ms)
        except ValueError:
            raise ValueError(f"--stall {text!r}: write FRAME:MS, e.g. 200:150") from None
    if args.cameras < 1:
        raise ValueError(f"--cameras {args.cameras}: must be at least 1")
    cams = {f"cam{i + 1}": ScheduledCamera(f"cam{i + 1}", bank, args.fps, stalls=stalls if i == 0 else None)
            for i in range(args.cameras)}
    return cams, bank.description, faces


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = bench_config(args)
        budgets = [budget_rules.parse_stage_budget(b) for b in args.budget]
        scenario = Scenario(args.mode, args.fps, args.duration_s, args.warm_up_s)
        cams, source, faces = ((None, "", 0) if args.skip_pipeline else cameras_for(args, config))
    except ConfigError as e:
        print(e.report().replace("edge-daemon", "edge-bench"), file=sys.stderr)
        return EXIT_USAGE
    except ValueError as e:
        print(f"edge-bench: {e}", file=sys.stderr)
        return EXIT_USAGE
    budgets += [budget_rules.Budget(series, statistic, limit) for series, statistic, limit in (
        ("end_to_end", "p99", args.assert_p99_ms), ("fps", "min", args.assert_fps), ("drops", "total", args.assert_drops))
        if limit is not None]
    # Before the run, which it must not share the cores with; only a pipeline run has a tail to judge.
    jitter = None if args.skip_pipeline else fixed_work_jitter(args.jitter_probe_s)
    try:
        pipeline, engine_facts, cpu, comparisons = _measure(args, config, cams, scenario, source, faces)
    except ConfigError as e:
        print(e.report().replace("edge-daemon", "edge-bench"), file=sys.stderr)
        return EXIT_USAGE
    except EngineError as e:
        print(f"edge-bench: {e}", file=sys.stderr)
        return EXIT_USAGE
    checked = budget_rules.check(budgets, pipeline["results"] if pipeline else None)
    machine = environment.fingerprint()
    if jitter:
        machine["fixed_work_jitter"] = jitter
    doc = report.document(machine, engine_facts, ["edge-bench", *(argv or sys.argv[1:])],
                          pipeline, comparisons, checked, cpu)
    print(report.table(doc))
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=2))
    if args.markdown:
        Path(args.markdown).write_text(markdown(doc))
    report.validate(doc)  # after writing: a schema bug must not lose a measurement
    return 0 if doc["passed"] else EXIT_BUDGET_MISSED


def _measure(args, config, cams, scenario, source, faces) -> tuple[dict | None, dict | None, dict | None, list[dict]]:
    """The threaded run, the CPU pass and the comparisons that the command line asks for."""
    pipeline, engine_facts, cpu = None, None, None
    if not args.skip_pipeline:
        result = run(config, cams, scenario, _progress_bar(args))
        pipeline = report.pipeline_results(result, source, faces)
        engine_facts = result.engine
        if args.csv:
            report.write_csv(result, args.csv)
    if args.cpu_pass:
        from edge.bench.cpu_pass import cpu_pass
        first = next(iter(cams.values())) if cams else None
        bank = first.bank if isinstance(first, ScheduledCamera) else sim_bank(
            args.scenario, args.faces, args.bank_frames, args.camera_model, args.resolution, args.fps)
        cpu = cpu_pass(config, bank.frames, args.cpu_pass)
    return pipeline, engine_facts, cpu, _comparisons(args, config)


def _comparisons(args: argparse.Namespace, config: DaemonConfig) -> list[dict]:
    if not (args.compare or args.compare_engine or args.compare_config):
        return []
    frame = sim_bank("faces", max(args.faces, 1), 1, args.camera_model, args.resolution).frames[0]
    results = []
    if "registration" in args.compare or "hole_filling" in args.compare:
        with compare.librealsense_pairings(frame) as pairings:
            for pairing in pairings:
                wanted = "registration" if pairing.name.startswith("registration") else "hole_filling"
                if wanted in args.compare:
                    results.append(compare.interleave(pairing, args.pairs, args.repeats))
    if "detectors" in args.compare:
        results.append(compare.interleave(compare.detector_pairing(frame), args.pairs, max(1, args.repeats // 4)))
    if args.compare_engine:
        results.append(_engine_comparison(args, config))
    if args.compare_config:
        results.append(_config_comparison(args, config))
    return results


def _config_comparison(args: argparse.Namespace, config: DaemonConfig) -> dict:
    from edge.bench.cpu_pass import StagePath

    other = load_config(args.compare_config)
    frames = sim_bank(args.scenario, args.faces, args.bank_frames, args.camera_model, args.resolution, args.fps).frames
    a, b = StagePath(config, frames), StagePath(other, frames)
    try:
        pairing = compare.Pairing("configurations (one frame through the stage functions)",
                                  args.config or "embedded default", args.compare_config, a, b)
        return compare.interleave(pairing, args.pairs, args.repeats)
    finally:
        a.close(), b.close()


def _engine_comparison(args: argparse.Namespace, config: DaemonConfig) -> dict:
    from engines.runtime.selection import open_engine

    model_b, _, backend_b = args.compare_engine.partition("@")
    chw = (5, config.processing.input_size_px, config.processing.input_size_px)
    a = open_engine(config.model_path(), config.engine.backend, input_chw=chw, threads=config.engine.threads).engine
    b = open_engine(Path(model_b).resolve(), backend_b or "auto", input_chw=chw, threads=config.engine.threads).engine
    try:
        a.warm_up(), b.warm_up()
        return compare.interleave(compare.engine_pairing(a, b, args.compare_batch), args.pairs, args.repeats)
    finally:
        a.close(), b.close()


def _progress_bar(args: argparse.Namespace):
    show = args.progress if args.progress is not None else (sys.stderr.isatty() and args.duration_s >= 10)
    if not show:
        return None
    from tqdm import tqdm

    bar = tqdm(total=100, desc="measuring", unit="%", leave=False)

    def update(fraction: float) -> None:
        bar.n = round(100 * fraction)
        bar.refresh()
        if fraction >= 1.0:
            bar.close()
    return update


if __name__ == "__main__":
    sys.exit(main())
