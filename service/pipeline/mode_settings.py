"""Strict configuration of modes (AppCustom.Pipeline.Modes): named sets of rules, and what switches them.

A base layer of the pipeline (beside rule_settings), so that settings.py can check the rule names.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from service.pipeline.rule_settings import UNRESERVED, HoursSpan, SensorValue
from service.strict import StrictModel


class ScheduledMode(StrictModel):
    """A mode in force during a span of local time (e.g. night from 22:00 to 06:00)."""

    Mode: str = Field(min_length=1, description="The mode switched to when the span starts.")
    Hours: HoursSpan = Field(description="Start, End (HH:MM, may cross midnight) and Days.")


class SensorMode(StrictModel):
    """A mode in force while a reading has a value (e.g. away while keypad/Armed is true)."""

    Device: str = Field(min_length=1, description="Device of the reading (a keypad, a switch).")
    Resource: str = Field(min_length=1, description="Its resource.")
    Value: SensorValue = Field(default=True, description="While the reading equals this, the mode holds.")
    Mode: str = Field(min_length=1, description="The mode switched to when the reading takes the Value.")


class ModeSettings(StrictModel):
    """Modes enable sets of rules; a rule no mode names is always enabled. Off while Modes is empty.

    The latest switch wins: a switch over REST or from the page, the start or end of a scheduled span
    (its end returns to Default), or a reading taking or leaving a SensorMode's Value (leaving it
    returns to the mode in force before). The mode survives a restart (state file)."""

    Modes: dict[str, list[str]] = Field(
        default={}, description="Mode name (letters, digits and . _ ~ -) to the rules it enables."
    )
    Default: str = Field(default="", description="The mode at first start and when a scheduled span ends.")
    Schedule: list[ScheduledMode] = Field(default=[], description="Modes by the clock.")
    Sensors: list[SensorMode] = Field(default=[], description="Modes from EdgeX readings.")

    @field_validator("Modes")
    @classmethod
    def _check_names(cls, modes: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in modes:
            if not UNRESERVED.match(name):
                raise ValueError(f"mode name {name!r} may use only letters, digits and . _ ~ -")
        return modes

    @model_validator(mode="after")
    def _check_modes(self) -> ModeSettings:
        if not self.Modes:
            if self.Default or self.Schedule or self.Sensors:
                raise ValueError("Default, Schedule and Sensors need Modes")
            return self
        if self.Default not in self.Modes:
            raise ValueError(f"Default {self.Default!r} is not one of the Modes: {', '.join(self.Modes)}")
        used = [s.Mode for s in self.Schedule] + [s.Mode for s in self.Sensors]
        unknown = sorted({mode for mode in used if mode not in self.Modes})
        if unknown:
            raise ValueError(f"unknown mode(s) {', '.join(unknown)}; Modes: {', '.join(self.Modes)}")
        return self

    @property
    def moded_rules(self) -> frozenset[str]:
        """Rules some mode names (the others are always enabled)."""
        return frozenset(rule for rules in self.Modes.values() for rule in rules)
