"""Auto-scaling with a cool-down: the agent's control loop over a running
:class:`~micronf.agent.deployer.Deployment` (paper section IV-E).

Each :meth:`Autoscaler.step` reads the shared-memory counters of every
instance and compares them with the previous step. For each uNF whose desired
graph has ``autoscale`` (enabled):

* **scale out** when the egress ports feeding its rings drop more than
  ``drop-threshold`` packets per second for ``sustain`` consecutive intervals
  (a ring that stays full: the uNF cannot keep up with its upstream) and it
  runs fewer than ``max-instances``: one more instance on the least loaded
  allowed core, on its own ring, and the feeding egress ports become
  load-balanced over every instance's ring (live, between two bursts);
* **scale in** when every instance's busy share (busy cycles over the
  interval's TSC cycles) stays below ``idle-threshold`` percent for a whole
  ``scale-in-window`` with no drop and it runs more than ``min-instances``:
  the newest instance leaves the load balancers, drains, stops, and its ring
  is freed;
* **cool-down**: no action on a uNF within ``cooldown`` of its last one,
  since the effect of an action takes a while to show in the counters (the
  paper's reason: drops go on until the new instance runs).

Steps are driven by the caller: :meth:`Autoscaler.poll` steps when an
interval has passed (the CLI calls it from its wait loop), and tests call
:meth:`Autoscaler.step` with an explicit time so that intervals and
cool-downs do not depend on the machine's speed. Every action is recorded as
a :class:`ScaleEvent`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from micronf.dataplane import DataplaneError

from .deployer import AutoscalePlan, Deployment


@dataclass(frozen=True)
class ScaleEvent:
    """One scaling action (or a failed attempt: ``after == before``)."""

    time: str
    unf: str
    direction: str  # "out" or "in"
    before: int
    after: int
    reason: str
    instance: int
    core: int
    #: From the decision until the writers' egress ports took the change.
    took_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "unf": self.unf,
            "direction": self.direction,
            "from": self.before,
            "to": self.after,
            "instance": self.instance,
            "core": self.core,
            "reason": self.reason,
            "took-ms": round(self.took_ms, 1),
        }

    def notification(self) -> dict[str, Any]:
        """The event as the model's ``unf-scaled`` notification (JSON form)."""
        return {
            "micronf-agent:unf-scaled": {
                "unf": self.unf,
                "direction": self.direction,
                "instances": self.after,
            }
        }

    def describe(self) -> str:
        verb = "scaled out" if self.direction == "out" else "scaled in"
        if self.after == self.before:
            return f"{self.unf}: could not scale {self.direction}: {self.reason}"
        return (
            f"{self.unf} {verb}: {self.before} → {self.after} instances "
            f"({self.unf}[{self.instance}] on core {self.core}, {self.took_ms:.0f} ms): "
            f"{self.reason}"
        )


@dataclass
class _Watch:
    """What the loop remembers of one scalable uNF between steps."""

    policy: AutoscalePlan
    drop_streak: int = 0
    idle_since: float | None = None
    last_action: float | None = None


@dataclass
class Autoscaler:
    """Drop-triggered scale-out, idle scale-in, with a cool-down (see module)."""

    deployment: Deployment
    #: Seconds between two steps of :meth:`poll`.
    interval: float = 0.5
    #: Consecutive intervals with drops above the threshold before scaling out.
    sustain: int = 2
    clock: Callable[[], float] = time.monotonic
    on_event: Callable[[ScaleEvent], object] | None = None
    events: list[ScaleEvent] = field(default_factory=list)
    _watch: dict[str, _Watch] = field(default_factory=dict)
    _last: float | None = None
    _drops: dict[tuple[str, int, str], int] = field(default_factory=dict)
    _busy: dict[tuple[str, int], int] = field(default_factory=dict)
    _hz: int = 0

    def __post_init__(self) -> None:
        for u in self.deployment.plan.unfs:
            if u.autoscale is not None and u.autoscale.enabled:
                self._watch[u.id] = _Watch(u.autoscale)

    @property
    def active(self) -> bool:
        """Whether any uNF of the graph may scale."""
        return bool(self._watch)

    def poll(self) -> list[ScaleEvent]:
        """Step if an interval has passed since the last step."""
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return []
        return self.step(now)

    def step(self, now: float | None = None) -> list[ScaleEvent]:
        """Read the counters, decide, act; the first step only takes a baseline."""
        now = self.clock() if now is None else now
        if not self._hz:
            self._hz = self.deployment.runtime.tsc_hz()
        dep = self.deployment
        drops: dict[tuple[str, int, str], int] = {}
        busy: dict[tuple[str, int], int] = {}
        for inst in dep.instances:
            if not inst.active:
                continue
            c = dep.counters(inst)
            busy[(inst.unf, inst.index)] = c.busy_cycles
            for name, n in c.egress_drops.items():
                drops[(inst.unf, inst.index, name)] = n
        last, self._last = self._last, now
        prev_drops, prev_busy = self._drops, self._busy
        self._drops, self._busy = drops, busy
        if last is None or now <= last:
            return []
        dt = now - last
        done: list[ScaleEvent] = []
        for uid, w in self._watch.items():
            # A writer or instance that is new since the last step counts from 0.
            lost = sum(
                drops.get((i.unf, i.index, e), 0) - prev_drops.get((i.unf, i.index, e), 0)
                for i, e in dep.feeders(uid)
            )
            mine = dep.active(uid)
            shares = [
                (busy[(uid, i.index)] - prev_busy.get((uid, i.index), 0)) / (dt * self._hz)
                for i in mine
            ]
            rate = lost / dt
            w.drop_streak = w.drop_streak + 1 if rate > w.policy.drop_threshold else 0
            idle = (
                w.policy.idle_threshold > 0
                and lost == 0
                and all(s * 100 < w.policy.idle_threshold for s in shares)
            )
            if not idle:
                w.idle_since = None
            elif w.idle_since is None:
                w.idle_since = last
            cooling = w.last_action is not None and now - w.last_action < w.policy.cooldown
            n = len(mine)
            event: ScaleEvent | None = None
            if w.drop_streak >= self.sustain and n < w.policy.max_instances and not cooling:
                why = (
                    f"{lost} drops in {dt:.2f} s ({rate:.0f}/s > {w.policy.drop_threshold}/s) "
                    f"feeding it, {w.drop_streak} intervals in a row"
                )
                event = self._act(uid, "out", n, why)
            elif (
                w.idle_since is not None
                and now - w.idle_since >= w.policy.scale_in_window
                and n > w.policy.min_instances
                and not cooling
            ):
                why = (
                    f"every instance under {w.policy.idle_threshold} % busy for "
                    f"{now - w.idle_since:.1f} s (max {max(shares) * 100:.1f} %)"
                )
                event = self._act(uid, "in", n, why)
            if event is not None:
                w.last_action = now
                w.drop_streak = 0
                w.idle_since = None
                done.append(event)
        return done

    def _act(self, uid: str, direction: str, n: int, reason: str) -> ScaleEvent:
        dep = self.deployment
        t0 = time.perf_counter()
        try:
            inst = dep.scale_out(uid) if direction == "out" else dep.scale_in(uid)
        except DataplaneError as exc:
            event = ScaleEvent(_now(), uid, direction, n, n, f"{reason}; {exc}", -1, -1, 0.0)
        else:
            event = ScaleEvent(
                _now(),
                uid,
                direction,
                n,
                len(dep.active(uid)),
                reason,
                inst.index,
                inst.core,
                (time.perf_counter() - t0) * 1000,
            )
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        return event


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
