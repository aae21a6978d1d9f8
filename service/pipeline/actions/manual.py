"""Manual actions: a configured device command started by hand, through the outbox, with its outcome.

run(name) plans the command (and, ThenAfterS later, the second one) as outbox rows of kind "command",
keyed `manual/<run id>/<step>`, so delivery retries them and a restart sends what was pending; each
outcome delivery reports comes back through record() and is kept in the run's history (the newest
HISTORY runs, in the state file), which REST and the page show.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace

from service.pipeline.action_settings import ManualActionSettings
from service.pipeline.actions.outbox import Outbox, OutboxItem
from service.pipeline.actions.payloads import CommandPayload, write_payload
from service.pipeline.actions.plan import KIND_COMMAND
from service.pipeline.errors import StateStoreError
from service.pipeline.state.records import ActionOutcome
from service.pipeline.state.state_store import StateStore

LOG = logging.getLogger(__name__)
HISTORY = 200
KEY_PREFIX = "manual/"
_STORE_KEY = "manual_runs"


class UnknownAction(KeyError):
    """A run of an action that is not configured."""


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What delivery reported of one command of a run."""

    step: int  # 0 = the command, 1 = the ThenBody command
    outcome: str  # queued, delivered, retrying, dead
    attempts: int
    detail: str
    at_s: float


@dataclass(frozen=True, slots=True)
class ManualRun:
    """One press of a button: which action, when, by whom, and each command's latest outcome."""

    run_id: str
    action: str
    device: str
    command: str
    started_s: float
    by: str
    steps: tuple[StepOutcome, ...] = field(default=())


class ManualActions:
    """Runs the configured actions; thread-safe (REST threads run, delivery threads record)."""

    def __init__(
        self,
        actions: Mapping[str, ManualActionSettings],
        outbox: Outbox,
        on_enqueued: Callable[[str], None],
        clock: Callable[[], float],
        state: StateStore | None = None,
    ) -> None:
        self._actions = dict(actions)
        self._outbox = outbox
        self._on_enqueued = on_enqueued
        self._clock = clock
        self._state = state
        self._lock = threading.Lock()
        self._runs: deque[ManualRun] = deque(self._load(), maxlen=HISTORY)

    @property
    def actions(self) -> dict[str, ManualActionSettings]:
        """The configured actions by name."""
        return dict(self._actions)

    def run(self, name: str, by: str = "") -> ManualRun:
        """Queue the action's command(s) now; UnknownAction for a name not configured."""
        action = self._actions.get(name)
        if action is None:
            known = ", ".join(self._actions) or "none configured"
            raise UnknownAction(f"unknown action {name!r}; actions: {known}")
        now = self._clock()
        run = ManualRun(uuid.uuid4().hex, name, action.Device, action.Command, now, by)
        bodies: list[tuple[dict[str, str | dict[str, str]], float | None]] = [(action.Body, None)]
        if action.ThenAfterS:
            bodies.append((action.ThenBody, now + action.ThenAfterS))
        steps = []
        for step, (body, not_before) in enumerate(bodies):
            payload = CommandPayload(device=action.Device, command=action.Command, body=body)
            key = f"{KEY_PREFIX}{run.run_id}/{step}"
            if self._outbox.enqueue(key, KIND_COMMAND, "", write_payload(payload), not_before):
                steps.append(StepOutcome(step, "queued", 0, "", now))
                self._on_enqueued(KIND_COMMAND)
        run = replace(run, steps=tuple(steps))
        with self._lock:
            self._runs.append(run)
        self._save()
        LOG.info("manual action %s: %s/%s queued (run %s)", name, action.Device, action.Command, run.run_id)
        return run

    def record(self, item: OutboxItem, outcome: ActionOutcome) -> bool:
        """Keep a delivery outcome of a manual run's command; False for another row."""
        if not item.key.startswith(KEY_PREFIX):
            return False
        run_id, _, step_text = item.key[len(KEY_PREFIX) :].partition("/")
        step = StepOutcome(
            int(step_text or 0), outcome.outcome, outcome.attempts, outcome.detail, outcome.at_s
        )
        with self._lock:
            for index, run in enumerate(self._runs):
                if run.run_id == run_id:
                    others = tuple(s for s in run.steps if s.step != step.step)
                    steps = tuple(sorted((*others, step), key=lambda s: s.step))
                    self._runs[index] = replace(run, steps=steps)
                    break
        self._save()
        return True

    def history(self) -> list[ManualRun]:
        """The newest runs first."""
        with self._lock:
            return list(reversed(self._runs))

    def _save(self) -> None:
        if self._state is None:
            return
        with self._lock:
            text = json.dumps([asdict(run) for run in self._runs])
        try:
            self._state.save_value(_STORE_KEY, text)
        except StateStoreError as exc:
            LOG.warning("manual action history not written: %s", exc)

    def _load(self) -> list[ManualRun]:
        text = self._state.load_value(_STORE_KEY) if self._state is not None else None
        if not text:
            return []
        try:
            return [
                ManualRun(**{**row, "steps": tuple(StepOutcome(**step) for step in row["steps"])})
                for row in json.loads(text)
            ]
        except (ValueError, TypeError, KeyError) as exc:
            LOG.warning("stored manual action history is unreadable, starting empty: %s", exc)
            return []
