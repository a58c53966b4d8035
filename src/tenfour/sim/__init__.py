"""Simulation: scenario files run on a simulated clock through the real service."""

from tenfour.sim.runner import ScenarioResult, run_scenario
from tenfour.sim.scenario_file import Scenario, ScenarioError, load_scenario

__all__ = ["Scenario", "ScenarioError", "ScenarioResult", "load_scenario", "run_scenario"]
