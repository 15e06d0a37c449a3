"""Scenario configuration: a validated, frozen pydantic model loaded from YAML."""

from fedsim.config.loader import load_scenario, scenario_from_dict, scenario_to_yaml
from fedsim.config.schema import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_from_dict", "scenario_to_yaml"]
