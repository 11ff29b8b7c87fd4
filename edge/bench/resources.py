"""CPU time per thread and in total, and peak memory, over a measurement window.

Per thread from the kernel's accounting (psutil reads /proc/self/task), so ONNX Runtime's and
ZeroMQ's own threads are counted too; Python threads are named by their ``threading`` name,
the others by the kernel's thread name. CPU percent is of one core (200 % = two cores busy).
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


def _thread_names() -> dict[int, str]:
    return {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}


def _kernel_name(tid: int) -> str:
    try:
        return Path(f"/proc/self/task/{tid}/comm").read_text().strip()
    except OSError:
        return f"tid {tid}"


@dataclass
class CpuSnapshot:
    wall_s: float
    process_s: float
    #: Thread id → CPU seconds (user + system).
    threads_s: dict[int, float]
    #: Thread id → name, taken while the threads are alive.
    names: dict[int, str]


def snapshot() -> CpuSnapshot:
    process = psutil.Process()
    times = process.cpu_times()
    threads = process.threads()
    python_names = _thread_names()
    return CpuSnapshot(wall_s=time.monotonic(), process_s=times.user + times.system,
                       threads_s={t.id: t.user_time + t.system_time for t in threads},
                       names={t.id: python_names.get(t.id) or _kernel_name(t.id) for t in threads})


def cpu_between(start: CpuSnapshot, end: CpuSnapshot) -> dict:
    """{"total_percent", "total_s", "threads": [{"name", "cpu_s", "percent"}]} over the window."""
    wall_s = max(end.wall_s - start.wall_s, 1e-9)
    names = {**start.names, **end.names}
    threads = []
    for tid, cpu_s in end.threads_s.items():
        used_s = cpu_s - start.threads_s.get(tid, 0.0)
        if used_s <= 0:
            continue
        name = names.get(tid, f"tid {tid}")
        threads.append({"name": name, "tid": tid, "cpu_s": round(used_s, 3),
                        "percent": round(100 * used_s / wall_s, 1)})
    threads.sort(key=lambda t: -t["cpu_s"])
    total_s = end.process_s - start.process_s
    return {"total_s": round(total_s, 3), "total_percent": round(100 * total_s / wall_s, 1),
            "window_s": round(wall_s, 3), "threads": threads}


def peak_memory_mb() -> float:
    """The process's peak resident set (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
