"""Active hours: local-time spans on weekdays, compiled once per rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.pipeline.rule_settings import HoursSpan

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class _Span:
    start_min: int
    end_min: int
    days: frozenset[int]

    def contains(self, weekday: int, minute: int) -> bool:
        if self.start_min <= self.end_min:
            return weekday in self.days and self.start_min <= minute < self.end_min
        # crosses midnight: the part after midnight belongs to the day the span started
        if minute >= self.start_min:
            return weekday in self.days
        return minute < self.end_min and (weekday - 1) % 7 in self.days


class ActiveHours:
    """Whether a rule may alert at a given time; no spans = always."""

    def __init__(self, spans: Sequence[HoursSpan]) -> None:
        self._spans = tuple(
            _Span(_minutes(s.Start), _minutes(s.End), frozenset(DAYS.index(d) for d in s.Days)) for s in spans
        )

    def allows(self, now_s: float) -> bool:
        """True when now (wall-clock seconds, local time zone) falls in a span."""
        if not self._spans:
            return True
        moment = datetime.fromtimestamp(now_s)
        minute = moment.hour * 60 + moment.minute
        return any(span.contains(moment.weekday(), minute) for span in self._spans)
