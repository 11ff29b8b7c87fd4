"""``edge-sub``: listen to edge daemons and print their decisions and status.

    edge-sub --endpoint tcp://127.0.0.1:5560 --snapshot-endpoint tcp://127.0.0.1:5561 --camera cam1
    edge-sub --endpoint tcp://127.0.0.1:5560 --json | jq .faces
    edge-sub --endpoint tcp://box1:5560 --server-key box1-server.key --client-key fr-host.key_secret

The table shows one line per face (state, live score, box, capture-to-publish time) and one line
per status (camera state, fps, drops, backend — a CPU fallback is shouted —, latency p99,
subscribers). ``--json`` prints each accepted payload as one JSON line on stdout. Refused
messages and sequence gaps go to stderr with their reason, in both modes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from edge.message_check import Accepted, Rejected
from edge.messages import Decision, MessageKind, Status
from edge.security.client import CurveClientKeys
from edge.security.keys import KeyFileError
from edge.subscriber import SnapshotUnavailable, Subscriber


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-sub", description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", action="append", required=True,
                        help="a daemon's publish endpoint (repeat for several daemons)")
    parser.add_argument("--snapshot-endpoint", action="append", default=[],
                        help="ask this snapshot endpoint for the current state first (repeatable)")
    parser.add_argument("--camera", action="append", default=None, help="only this camera (repeatable)")
    parser.add_argument("--decisions-only", action="store_true", help="leave out status messages")
    parser.add_argument("--json", action="store_true", help="print each accepted payload as a JSON line")
    parser.add_argument("--count", type=int, default=None, help="exit 0 after this many accepted messages")
    parser.add_argument("--idle-timeout-s", type=float, default=None,
                        help="exit 1 when nothing arrives for this long")
    parser.add_argument("--server-key", help="the daemon's public key file (server.key) when it publishes "
                        "with CURVE; needs --client-key")
    parser.add_argument("--client-key", help="this subscriber's secret key file (NAME.key_secret, mode 0600) "
                        "whose NAME.key is in the daemon's allowed_clients_dir")
    parser.add_argument("--expiry-grace-ms", type=float, default=0.0,
                        help="accept decisions this much past their expiry (clock skew between hosts)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.count is not None and args.count < 1:
        print("edge-sub: --count must be at least 1", file=sys.stderr)
        return 2
    if bool(args.server_key) != bool(args.client_key):
        print("edge-sub: --server-key and --client-key go together (CURVE needs both)", file=sys.stderr)
        return 2
    try:
        curve = CurveClientKeys.from_files(args.server_key, args.client_key) if args.server_key else None
    except KeyFileError as error:
        print(f"edge-sub: {error}", file=sys.stderr)
        return 2
    kinds = (MessageKind.DECISION,) if args.decisions_only else tuple(MessageKind)
    subscriber = Subscriber(args.endpoint, cameras=args.camera, kinds=kinds,
                            snapshot_endpoints=args.snapshot_endpoint, expiry_grace_ms=args.expiry_grace_ms,
                            curve=curve)
    accepted = 0
    try:
        pending: list[Accepted | Rejected] = []
        if args.snapshot_endpoint:
            try:
                pending = subscriber.snapshot()
            except SnapshotUnavailable as error:
                print(f"edge-sub: {error}", file=sys.stderr)
                return 1
        if not args.json:
            print(_TABLE_HEADER)
        timeout_ms = None if args.idle_timeout_s is None else int(args.idle_timeout_s * 1000)
        while args.count is None or accepted < args.count:
            message = pending.pop(0) if pending else subscriber.receive(timeout_ms)
            if message is None:
                print(f"edge-sub: nothing received for {args.idle_timeout_s} s", file=sys.stderr)
                return 1
            if isinstance(message, Rejected):
                print(f"REJECTED {message.topic.decode('ascii', 'replace')}: {message.reason}", file=sys.stderr)
                continue
            accepted += 1
            if message.missed:
                print(f"GAP {message.topic.decode()}: {message.missed} message(s) missed", file=sys.stderr)
            print(_as_json(message) if args.json else _as_table(message), flush=True)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:  # e.g. piped into `head`: the reader has gone, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        subscriber.close()
    return 0


_TABLE_HEADER = f"{'time':<12} {'camera':<10} {'frame':>7} {'seq':>7}  detail"


def _as_table(message: Accepted) -> str:
    body = message.body
    clock = time.strftime("%H:%M:%S", time.localtime(message.envelope.publish_wall_ns / 1e9))
    clock += f".{message.envelope.publish_wall_ns // 1_000_000 % 1000:03d}"
    seq = message.envelope.sequence
    if isinstance(body, Decision):
        lead = f"{clock:<12} {body.camera_id:<10} {body.frame_index:>7} {seq:>7}"
        age_ms = (message.envelope.publish_wall_ns - body.capture_wall_ns) / 1e6
        if not body.faces:
            return f"{lead}  no face  (capture→publish {age_ms:.1f} ms)"
        lines = []
        for face in body.faces:
            score = "  -  " if face.live_score is None else f"{face.live_score:.3f}"
            box = face.box
            lines.append(
                f"{lead}  track {face.track_id:<4} {face.state.value:<15} live {score} "
                f"box {box.x_px:.0f},{box.y_px:.0f} {box.width_px:.0f}x{box.height_px:.0f} {face.modality.value} "
                f"(capture→publish {age_ms:.1f} ms)"
            )
        return "\n".join(lines)
    return _status_line(clock, seq, body)


def _status_line(clock: str, seq: int, status: Status) -> str:
    backend = status.backend
    backend_text = f"{backend.name}/{backend.device}/{backend.precision}"
    if backend.fallback:
        backend_text = f"FALLBACK {backend_text} ({backend.fallback_reason or 'reason not given'})"
    end_to_end = status.latency_ms.get("capture_to_publish")
    p99 = "-" if end_to_end is None else f"{end_to_end.p99_ms:.1f} ms"
    drops = status.drops
    stage_drops = sum(drops.stages.values())
    subscribers = "?" if status.subscribers is None else str(status.subscribers)
    return (
        f"{clock:<12} {status.camera_id:<10} {'':>7} {seq:>7}  STATUS {status.camera_state.value} "
        f"fps {status.capture_fps:.1f}/{status.processed_fps:.1f} drops stages {stage_drops} "
        f"queue {drops.publish_queue} hwm {drops.publish_hwm} backend {backend_text} "
        f"p99 {p99} subscribers {subscribers}"
    )


def _as_json(message: Accepted) -> str:
    document = message.envelope.model_dump(mode="json", by_alias=True)
    document.update(message.body.model_dump(mode="json"))
    return json.dumps(document, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(main())
