"""ActiveHours: spans, weekdays, spans across midnight."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from service.pipeline.rule_settings import HoursSpan
from service.pipeline.rules.hours import ActiveHours


def at(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").timestamp()  # local time, like the rule


# 2026-11-23 is a Monday.
@pytest.mark.parametrize(
    ("spans", "moment", "allowed"),
    [
        ([], "2026-11-23 03:00", True),
        ([{"Start": "08:00", "End": "18:00"}], "2026-11-23 08:00", True),
        ([{"Start": "08:00", "End": "18:00"}], "2026-11-23 18:00", False),
        ([{"Start": "08:00", "End": "18:00", "Days": ["sat", "sun"]}], "2026-11-23 12:00", False),
        ([{"Start": "22:00", "End": "06:00"}], "2026-11-23 23:30", True),
        ([{"Start": "22:00", "End": "06:00"}], "2026-11-24 05:59", True),
        ([{"Start": "22:00", "End": "06:00"}], "2026-11-24 12:00", False),
        ([{"Start": "22:00", "End": "06:00", "Days": ["mon"]}], "2026-11-24 03:00", True),  # Monday night
        ([{"Start": "22:00", "End": "06:00", "Days": ["mon"]}], "2026-11-23 03:00", False),  # Sunday night
        ([{"Start": "00:00", "End": "24:00", "Days": ["mon"]}], "2026-11-23 23:59", True),
    ],
)
def test_active_hours(spans: list[dict[str, Any]], moment: str, allowed: bool) -> None:
    hours = ActiveHours([HoursSpan.model_validate(s) for s in spans])
    assert hours.allows(at(moment)) is allowed
