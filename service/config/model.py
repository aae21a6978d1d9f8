"""The whole configuration tree: EdgeX's standard sections plus AppCustom."""

from __future__ import annotations

from pydantic import Field, model_validator

from service.access.settings import AccessSettings
from service.config.sections import (
    ClientsSection,
    MessageBusSection,
    RegistrySection,
    ServiceSection,
    TriggerSection,
    WritableSection,
)
from service.pipeline.settings import PipelineSettings
from service.strict import StrictModel
from service.vision.specs import EngineSettings, ModelSpec, bundled_models


class AppCustomSection(StrictModel):
    """app-vision's own section: models, inference engine, pipeline and access control."""

    Models: dict[str, ModelSpec] = Field(default_factory=bundled_models, description="Models by name.")
    Engine: EngineSettings = Field(default_factory=EngineSettings, description="Inference engine.")
    Pipeline: PipelineSettings = Field(default_factory=PipelineSettings, description="Pipeline.")
    Access: AccessSettings = Field(
        default_factory=AccessSettings, description="Access control of the page and REST (non-secure mode)."
    )

    @model_validator(mode="after")
    def _known_models(self) -> AppCustomSection:
        """Every model a camera, the default, a rule, the privacy blur or a second stage names must exist."""
        wanted = {"Pipeline.DefaultModel": [self.Pipeline.DefaultModel]}
        for name, device in self.Pipeline.Devices.items():
            wanted[f"Pipeline.Devices.{name}.Models"] = list(device.Models)
        for index, rule in enumerate(self.Pipeline.Rules):
            if rule.Model:
                wanted[f"Pipeline.Rules.{index}.Model"] = [rule.Model]
        privacy = self.Pipeline.Privacy
        if privacy.BlurFaces and privacy.FaceModel:
            wanted["Pipeline.Privacy.FaceModel"] = [privacy.FaceModel]
        for name, spec in self.Models.items():
            if spec.SecondStage is not None:
                wanted[f"Models.{name}.SecondStage.Model"] = [spec.SecondStage.Model]
        for path, names in wanted.items():
            missing = [model for model in names if model not in self.Models]
            if missing:
                known = ", ".join(sorted(self.Models))
                raise ValueError(
                    f"{path}: unknown model {', '.join(missing)} (AppCustom.Models has: {known})"
                )
        return self


class EdgeXConfig(StrictModel):
    """The sections every EdgeX application service has."""

    Writable: WritableSection = Field(default_factory=WritableSection, description="Run-time settings.")
    Service: ServiceSection = Field(default_factory=ServiceSection, description="REST server.")
    MessageBus: MessageBusSection = Field(
        default_factory=MessageBusSection, description="Message bus connection."
    )
    Trigger: TriggerSection = Field(
        default_factory=TriggerSection, description="Subscriptions and publish topic."
    )
    Clients: ClientsSection = Field(default_factory=ClientsSection, description="Other EdgeX services.")
    Registry: RegistrySection = Field(default_factory=RegistrySection, description="Registry (core-keeper).")


class Config(EdgeXConfig):
    """app-vision's configuration (res/configuration.yaml)."""

    AppCustom: AppCustomSection = Field(
        default_factory=AppCustomSection, description="app-vision's own settings."
    )
