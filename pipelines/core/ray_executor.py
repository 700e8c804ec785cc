"""Ray executor: the same ``map(fn, context, items)`` contract as the local pool, on a Ray cluster.

Contract (identical to :class:`pipelines.core.executors.LocalExecutor`): yields ``fn(context, item)``
for every item, in the order of ``items``. Determinism comes from the units (keyed randomness), so
a build on Ray is byte-identical to a local one. Ray is an optional extra
(``pip install 'fineforge[ray]'``); it is imported only when this executor is used.

How the work is shipped:
- the context goes to the object store once (``ray.put``) and every task receives its reference;
- units run as Ray tasks, at most ``max_in_flight`` at a time (default: 2 x the cluster's CPUs),
  and results are yielded in input order as soon as the head of the window is done, so the driver
  holds a bounded number of results whatever the input size (backpressure);
- a unit that raises is not retried (units are deterministic) and is yielded as a
  :class:`~pipelines.core.unitfail.UnitFailure`; a task whose worker dies is retried by Ray
  (``max_retries``), and one that died on every attempt is yielded as a failure with the same
  detail as the local pool's (core/unitfail.py), so it ends as a ``unit_failed`` rejection instead
  of a hang; what stops a build locally (a bad input file, an output fault...) stops it here too.

Media are written by the tasks into the build folder, which must be on storage every node sees:
:meth:`RayExecutor.prepare` checks that each alive node can write there and the driver can read it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from pipelines.core.errors import ConfigError
from pipelines.core.requires import Requirement, check_requirements
from pipelines.core.unitfail import DEFAULT_RETRIES, UnitFailure, run_guarded, worker_died_detail

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


RAY = Requirement("ray", "'fineforge[ray]'", "--executor ray")


def _ray() -> Any:
    check_requirements([RAY])  # declared optional dependency: one clear line, no traceback
    import ray

    return ray


def _run_unit(fn: Callable[[Any, Any], Any], context: Any, item: Any) -> Any:
    return run_guarded(fn, context, item)


def _await_head(ray: Any, pending: deque, completed: set, bar: tqdm) -> None:
    """Wait until the oldest task is done, counting on ``bar`` every task that completes meanwhile."""
    while pending[0] not in completed:
        ready, _ = ray.wait([ref for ref in pending if ref not in completed], num_returns=1)
        completed.update(ready)
        bar.update(len(ready))


def _settle(ray: Any, ref: Any, attempts: int) -> Any:
    """The unit's result; a failure when its worker died on every attempt; what a unit raised
    that stops the build is raised here as the unit's own exception."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:  # run_guarded let it through: it stops the build
        cause = getattr(exc, "cause", None)
        raise (cause if isinstance(cause, BaseException) else exc) from None
    except ray.exceptions.RayError:  # worker crashed or lost, on every attempt
        return UnitFailure(worker_died_detail(attempts))


def _probe_write(path: str, token: str) -> str:
    import socket

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(token)
    return socket.gethostname()


class RayExecutor:
    """Runs units as Ray tasks; see the module docstring."""

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None,
                 max_in_flight: int | None = None, max_retries: int = DEFAULT_RETRIES,
                 progress: bool | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self.progress_disabled = None if progress is None else not progress

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            options: dict[str, Any] = {"ignore_reinit_error": True, "log_to_driver": False,
                                       "include_dashboard": False}
            if self.address:
                options["address"] = self.address
            elif self.num_cpus:
                options["num_cpus"] = self.num_cpus
            ray.init(**options)
        return ray

    def _window(self, ray: Any) -> int:
        if self.max_in_flight:
            return self.max_in_flight
        return max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))

    def prepare(self, build_dir: Path) -> None:
        """Refuse with one line unless every alive node can write into ``build_dir`` and the
        driver sees what they wrote (the build folder must be shared storage)."""
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = ray.remote(num_cpus=0)(_probe_write)
        checks = []
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            node_id = node["NodeID"]
            path = build_dir / ".work" / "ray-probe" / node_id
            strategy = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
            checks.append((path, node_id, probe.options(scheduling_strategy=strategy)
                           .remote(str(path.resolve()), node_id)))
        for path, node_id, ref in checks:
            try:
                host = ray.get(ref)
            except Exception as exc:  # the node cannot write there at all
                raise ConfigError(f"{build_dir}: Ray node {node_id[:8]} cannot write to the build "
                                  f"folder ({type(exc).__name__}); use storage every node shares") from exc
            if not path.exists() or path.read_text() != node_id:
                raise ConfigError(f"{build_dir}: files written by Ray node {host} are not visible to "
                                  "the driver; the build folder must be on storage every node shares")
            path.unlink()

    def map(self, fn: Callable[[C, T], R], context: C, items: Sequence[T], *,
            desc: str = "") -> Iterator[R | UnitFailure]:
        """See the module docstring. The progress bar advances as tasks complete, in whatever
        order they do (results are still yielded in input order)."""
        ray = self._connect()
        task = ray.remote(max_retries=self.max_retries, retry_exceptions=False)(_run_unit)
        bar = tqdm(total=len(items), desc=desc, unit="unit", disable=self.progress_disabled, leave=False)
        context_ref = ray.put(context)
        window, pending, completed = self._window(ray), deque(), set()
        upcoming = iter(items)
        try:
            while True:
                while len(pending) < window and (nxt := next(upcoming, _END)) is not _END:
                    pending.append(task.remote(fn, context_ref, nxt))
                if not pending:
                    return
                _await_head(ray, pending, completed, bar)
                completed.discard(pending[0])
                yield _settle(ray, pending.popleft(), self.max_retries + 1)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            bar.close()


_END = object()
