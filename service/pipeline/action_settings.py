"""Strict configuration of manual actions (AppCustom.Pipeline.ManualActions): device commands a
person starts from the page or over REST (light on, siren for 10 s, PTZ preset).

A base layer of the pipeline (beside rule_settings).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from service.pipeline.rule_settings import UNRESERVED, CommandAction


class ManualActionSettings(CommandAction):
    """A core-command set (Device, Command, Body), optionally followed by a second one (siren off)."""

    Label: str = Field(default="", description="What the page's button says ('' = the action's name).")
    ThenAfterS: float = Field(
        default=0, ge=0, le=86400, description="Seconds after the first command to send ThenBody (0 = never)."
    )
    ThenBody: dict[str, str | dict[str, str]] = Field(
        default={}, description="Resource name to value of the second command (e.g. the siren off)."
    )

    @model_validator(mode="after")
    def _then_needs_both(self) -> ManualActionSettings:
        if bool(self.ThenAfterS) != bool(self.ThenBody):
            raise ValueError("ThenAfterS and ThenBody go together: both set, or neither")
        return self


def check_action_names(actions: dict[str, ManualActionSettings]) -> dict[str, ManualActionSettings]:
    """Action names appear in routes (/api/v3/actions/{name}) and outbox keys."""
    for name in actions:
        if not UNRESERVED.match(name):
            raise ValueError(f"action name {name!r} may use only letters, digits and . _ ~ -")
    return actions
