"""A run spec: one simulation of a scenario under a mechanism, seed and membership,
with a stable key (a hash of the fully resolved run) that names its stored result."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fedsim.config.loader import scenario_from_dict
from fedsim.config.schema import MechanismSpec, Scenario

# bump when the stored result of a run changes shape or meaning: old results are
# then recomputed instead of being read back
RESULT_FORMAT = 2


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class RunSpec:
    """What to simulate. Plain strings and tuples only, so it pickles cheaply under
    ``spawn``; :attr:`sort_key` orders specs deterministically.

    Attributes:
        mechanism: registered name or ``"module:Class"``.
        seed: the workload seed (common random numbers across mechanisms and memberships).
        members: the federation; ``None`` keeps the scenario's own membership.
        params: the mechanism's parameters as canonical JSON.
        coalition_values: also record per-epoch v(S) for the core violation (2^n LPs/epoch).
        scenario_json: the base scenario (``Scenario.model_dump_json()``).
        trust_code: ``"module:Class"`` mechanisms the user trusted (not part of the key:
            trusting code does not change what a run computes).
    """

    mechanism: str
    seed: int
    members: tuple[str, ...] | None
    params: str = "{}"
    coalition_values: bool = False
    scenario_json: str = field(default="", repr=False)
    trust_code: tuple[str, ...] = ()

    @classmethod
    def make(
        cls,
        scenario: Scenario,
        mechanism: str,
        *,
        seed: int | None = None,
        members: tuple[str, ...] | None = None,
        params: dict[str, Any] | None = None,
        coalition_values: bool = False,
        trust_code: tuple[str, ...] = (),
    ) -> RunSpec:
        return cls(
            mechanism=mechanism,
            seed=scenario.seed if seed is None else int(seed),
            members=tuple(members) if members is not None else None,
            params=_canonical(params or {}),
            coalition_values=coalition_values,
            scenario_json=scenario.model_dump_json(),
            trust_code=tuple(trust_code),
        )

    def scenario(self) -> Scenario:
        """The scenario this run simulates (seed, members and mechanism applied)."""
        base = Scenario.model_validate_json(self.scenario_json)
        fed = base.federation.model_copy(
            update={
                "mechanism": MechanismSpec(name=self.mechanism, params=json.loads(self.params)),
                "members": self.members if self.members is not None else base.federation.members,
            }
        )
        # validate again (a model copy does not): members must name providers
        data = {**base.model_dump(), "seed": self.seed, "federation": fed.model_dump()}
        return scenario_from_dict(data, f"run spec ({self.mechanism}, seed {self.seed})")

    @cached_property
    def key(self) -> str:
        """Stable 20-hex-digit name of the run: equal keys mean the same simulation."""
        body = _canonical(
            {
                "format": RESULT_FORMAT,
                "scenario": json.loads(self.scenario().model_dump_json()),
                "coalition_values": self.coalition_values,
            }
        )
        return hashlib.sha256(body.encode()).hexdigest()[:20]

    @property
    def sort_key(self) -> tuple:
        """Order of submission and of results: independent of the number of workers."""
        return (self.mechanism, self.seed, self.members or (), self.key)

    def describe(self) -> dict[str, Any]:
        """A small JSON-able description (stored beside the result)."""
        return {
            "mechanism": self.mechanism,
            "params": json.loads(self.params),
            "seed": self.seed,
            "members": list(self.members) if self.members is not None else None,
            "coalition_values": self.coalition_values,
            "scenario": Scenario.model_validate_json(self.scenario_json).name,
        }
