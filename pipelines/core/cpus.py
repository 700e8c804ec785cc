"""How many CPUs a build may use: what ``--workers auto`` resolves to.

Contract: :func:`usable_cpus` is the smaller of (a) the CPUs in this process's affinity mask
(``taskset``, a cpuset cgroup, a batch scheduler's binding; the machine's count where the platform
has no affinity) and (b) the CPU quota of its cgroup, rounded up (``docker run --cpus 2``, a
Kubernetes CPU limit: such a quota does not shrink the affinity mask, so without (b) a container
limited to 2 CPUs on a 64-core host would start 64 workers). Always at least 1.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
OWN_CGROUP = Path("/proc/self/cgroup")  # "0::/path" names the cgroup v2 folder


def usable_cpus() -> int:
    """See the module contract."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_quota()
    return max(1, min(count, math.ceil(quota)) if quota else count)


def quota_from_cpu_max(text: str) -> float | None:
    """CPUs granted by a cgroup v2 ``cpu.max`` text (``"200000 100000"`` -> 2.0; ``"max ..."`` ->
    None: no limit)."""
    fields = text.split()
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def cgroup_quota() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max``, else v1 ``cpu.cfs_quota_us``), or
    None when there is none or it cannot be read."""
    cpu_max = _own_cgroup_file("cpu.max")
    if cpu_max is not None:
        return quota_from_cpu_max(_read(cpu_max))
    v1 = CGROUP_ROOT / "cpu"
    quota, period = _read(v1 / "cpu.cfs_quota_us"), _read(v1 / "cpu.cfs_period_us")
    return quota_from_cpu_max(f"{quota} {period}") if quota and quota != "-1" else None


def _own_cgroup_file(name: str) -> Path | None:
    """``name`` in this process's cgroup v2 folder (from /proc/self/cgroup), if it exists."""
    for line in _read(OWN_CGROUP).splitlines():
        if line.startswith("0::"):
            path = CGROUP_ROOT / line[3:].lstrip("/") / name
            return path if path.is_file() else None
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
