"""The base of every settings model: the component's arguments and the workload settings.

Settings are written by people, so they are strict where cluster objects are lenient
(`core.cluster.models.ClusterModel` ignores fields it does not know): an unknown key is refused,
values are immutable once validated, and both the camelCase (stack config, Kubernetes) and the
snake_case (Python) spelling of a key are accepted.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SettingsModel(BaseModel):
    """Unknown keys refused, immutable, camelCase or snake_case keys accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def dump(self) -> dict[str, Any]:
        """The setting as the Kubernetes API spells it (camelCase, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True)
