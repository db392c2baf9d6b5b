"""The standard workload settings: Kubernetes pod-spec shapes with the API server's own rules.

Each model mirrors its Kubernetes type with camelCase aliases and forbids unknown keys, so a
misspelt field fails at `pulumi preview` / `render` with its path instead of being dropped by
the API server. `dump` gives the wire form (camelCase, unset fields left out) that
`manifests.py` writes into the objects. `affinity` terms are checked to their second level
(which affinity, required or preferred); the API server checks the terms themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, cast

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from vmcp_components.core import naming
from vmcp_components.core.settings.base import SettingsModel
from vmcp_components.errors import echo

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
_QUALIFIED_NAME = re.compile(rf"({_NAME})")
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(\d+(\.\d*)?|\.\d+))(?P<suffix>[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_PERCENT = re.compile(r"\d+%")


# ─── names, labels and annotations ───


def check_qualified_name(key: str, what: str) -> str:
    """`[prefix/]name`: prefix a DNS subdomain (<= 253), name <= 63 (label/annotation keys)."""
    prefix, slash, name = key.rpartition("/")
    if (
        (slash and not naming.is_dns_subdomain(prefix))
        or len(name) > 63
        or not _QUALIFIED_NAME.fullmatch(name)
    ):
        raise ValueError(
            f"{echo(key)} is not a valid {what}: use an optional DNS-subdomain prefix and '/', "
            "then "
            "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or "
            "digit"
        )
    return key


def check_label_value(value: str, key: str) -> str:
    """`value` if it is a valid value for label `key` (empty is allowed)."""
    if value and (len(value) > 63 or not _QUALIFIED_NAME.fullmatch(value)):
        raise ValueError(
            f"label {key}: {echo(value)} is not a valid label value: at most 63 letters, digits, "
            "'-', '_' or '.', starting and ending with a letter or digit (or empty)"
        )
    return value


def check_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """`labels` with valid keys and values, sorted by key."""
    for key, value in labels.items():
        check_qualified_name(key, "label key")
        check_label_value(value, key)
    return dict(sorted(labels.items()))


def check_annotations(annotations: Mapping[str, str]) -> dict[str, str]:
    """`annotations` with valid keys, sorted by key."""
    for key in annotations:
        check_qualified_name(key, "annotation key")
    return dict(sorted(annotations.items()))


def check_reserved(mapping: Mapping[str, str], reserved: Mapping[str, str], what: str) -> None:
    """Refuse keys the product sets itself (selectors, checksums): they must keep their value."""
    taken = sorted(set(mapping) & set(reserved))
    if taken:
        raise ValueError(
            f"{what} cannot set {', '.join(taken)}: vmcp-components sets it (selector or checksum)"
        )


Labels = Annotated[dict[str, str], AfterValidator(check_labels)]
"""Label map: keys are qualified names, values label values; written sorted by key.

Checked after pydantic's own type check, so a value of the wrong type (`inject: true`) is
reported with its key path, not as a crash of the label rules."""
Annotations = Annotated[dict[str, str], AfterValidator(check_annotations)]
"""Annotation map: keys are qualified names; written sorted by key."""


# ─── resources ───


def parse_quantity(text: str) -> Decimal:
    """A Kubernetes quantity (`100m`, `1.5Gi`, `2e3`) as a number; ValueError if malformed."""
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise ValueError(
            f"{echo(text)} is not a Kubernetes quantity (e.g. 100m, 0.5, 128Mi, 1Gi, 2e3)"
        )
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the pattern only admits decimals
        raise ValueError(f"{echo(text)} is not a Kubernetes quantity") from None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix[:1] in ("e", "E"):
        return number.scaleb(int(suffix[1:]))
    return number.scaleb(_DECIMAL[suffix])


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # refused below: a boolean is not a quantity
    if isinstance(value, int | float):
        value = format(value, "g") if isinstance(value, float) else str(value)
    if isinstance(value, str) and parse_quantity(value) < 0:
        raise ValueError(f"{echo(value)} is negative; resource quantities must be >= 0")
    return value


Quantity = Annotated[str, BeforeValidator(_quantity)]
"""A Kubernetes quantity, kept as text (a number from YAML becomes its text)."""


def _resource_names(value: Any) -> Any:
    if isinstance(value, Mapping):
        quantities = cast(Mapping[object, object], value)
        for name in quantities:
            check_qualified_name(str(name), "resource name")
        return {str(k): v for k, v in sorted(quantities.items(), key=lambda item: str(item[0]))}
    return value


ResourceList = Annotated[dict[str, Quantity], BeforeValidator(_resource_names)]


class Resources(SettingsModel):
    """Container `resources`; replaces the default (requests 100m/128Mi, limits 500m/512Mi)."""

    requests: ResourceList | None = None
    limits: ResourceList | None = None

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        for name, request in (self.requests or {}).items():
            limit = (self.limits or {}).get(name)
            if limit is not None and parse_quantity(request) > parse_quantity(limit):
                raise ValueError(
                    f"resources: the {name} request {request} exceeds its limit {limit}"
                )
        return self


# ─── scheduling ───


class Toleration(SettingsModel):
    """A pod toleration, with the API server's rules on operator, value and effect."""

    key: str | None = None
    operator: Literal["Exists", "Equal"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    toleration_seconds: int | None = Field(default=None, alias="tolerationSeconds")

    @model_validator(mode="after")
    def _consistent(self) -> Toleration:
        if self.key:
            check_qualified_name(self.key, "toleration key")
        elif self.operator != "Exists":
            raise ValueError("a toleration without a key must use operator Exists")
        if self.operator == "Exists" and self.value:
            raise ValueError("a toleration with operator Exists must not set a value")
        if self.toleration_seconds is not None and self.effect != "NoExecute":
            raise ValueError("tolerationSeconds is only allowed with effect NoExecute")
        return self


class LabelSelectorRequirement(SettingsModel):
    """One `matchExpressions` item of a label selector."""

    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] | None = None

    @model_validator(mode="after")
    def _values_match_operator(self) -> LabelSelectorRequirement:
        check_qualified_name(self.key, "label selector key")
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"matchExpressions: operator {self.operator} needs values")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"matchExpressions: operator {self.operator} takes no values")
        return self


class LabelSelector(SettingsModel):
    """A label selector: `matchLabels` and `matchExpressions`."""

    match_labels: Labels | None = Field(default=None, alias="matchLabels")
    match_expressions: list[LabelSelectorRequirement] | None = Field(
        default=None, alias="matchExpressions"
    )


class TopologySpreadConstraint(SettingsModel):
    """A pod topology spread constraint; without `labelSelector` it selects the vMCP's pods."""

    max_skew: int = Field(alias="maxSkew", ge=1)
    topology_key: str = Field(alias="topologyKey")
    when_unsatisfiable: Literal["DoNotSchedule", "ScheduleAnyway"] = Field(
        alias="whenUnsatisfiable"
    )
    label_selector: LabelSelector | None = Field(default=None, alias="labelSelector")
    min_domains: int | None = Field(default=None, alias="minDomains", ge=1)
    node_affinity_policy: Literal["Honor", "Ignore"] | None = Field(
        default=None, alias="nodeAffinityPolicy"
    )
    node_taints_policy: Literal["Honor", "Ignore"] | None = Field(
        default=None, alias="nodeTaintsPolicy"
    )
    match_label_keys: list[str] | None = Field(default=None, alias="matchLabelKeys")

    @model_validator(mode="after")
    def _consistent(self) -> TopologySpreadConstraint:
        check_qualified_name(self.topology_key, "topologyKey")
        if self.min_domains is not None and self.when_unsatisfiable != "DoNotSchedule":
            raise ValueError("minDomains is only allowed with whenUnsatisfiable DoNotSchedule")
        for key in self.match_label_keys or []:
            check_qualified_name(key, "matchLabelKeys entry")
        return self

    def dump_for(self, selector: Mapping[str, str]) -> dict[str, Any]:
        """Wire form; a constraint without labelSelector gets the vMCP pods' selector."""
        wire = self.dump()
        if self.label_selector is None:
            wire["labelSelector"] = {"matchLabels": dict(selector)}
        return wire


class NodeAffinity(SettingsModel):
    """Node affinity; its terms are left to the API server to check."""

    required_during_scheduling_ignored_during_execution: dict[str, Any] | None = Field(
        default=None, alias="requiredDuringSchedulingIgnoredDuringExecution"
    )
    preferred_during_scheduling_ignored_during_execution: list[dict[str, Any]] | None = Field(
        default=None, alias="preferredDuringSchedulingIgnoredDuringExecution"
    )


class PodAffinity(SettingsModel):
    """Pod affinity or anti-affinity; its terms are left to the API server to check."""

    required_during_scheduling_ignored_during_execution: list[dict[str, Any]] | None = Field(
        default=None, alias="requiredDuringSchedulingIgnoredDuringExecution"
    )
    preferred_during_scheduling_ignored_during_execution: list[dict[str, Any]] | None = Field(
        default=None, alias="preferredDuringSchedulingIgnoredDuringExecution"
    )


class Affinity(SettingsModel):
    """The pod's `affinity`: node, pod and pod anti-affinity."""

    node_affinity: NodeAffinity | None = Field(default=None, alias="nodeAffinity")
    pod_affinity: PodAffinity | None = Field(default=None, alias="podAffinity")
    pod_anti_affinity: PodAffinity | None = Field(default=None, alias="podAntiAffinity")


# ─── disruption budget ───


def _int_or_percent(value: Any) -> Any:
    if isinstance(value, str) and not _PERCENT.fullmatch(value):
        raise ValueError(f"{echo(value)} is neither a number of pods nor a percentage like '25%'")
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"{value} must be >= 0")
    return value


IntOrPercent = Annotated[int | str, BeforeValidator(_int_or_percent)]


class PodDisruptionBudget(SettingsModel):
    """PDB settings. Unset: a PDB with maxUnavailable 1 whenever replicas > 1."""

    enabled: bool = True
    min_available: IntOrPercent | None = Field(default=None, alias="minAvailable")
    max_unavailable: IntOrPercent | None = Field(default=None, alias="maxUnavailable")

    @model_validator(mode="after")
    def _one_bound(self) -> PodDisruptionBudget:
        if self.min_available is not None and self.max_unavailable is not None:
            raise ValueError("podDisruptionBudget: set minAvailable or maxUnavailable, not both")
        return self

    def bound(self) -> dict[str, int | str]:
        """The PDB's one bound: `minAvailable` when given, else `maxUnavailable` (default 1)."""
        if self.min_available is not None:
            return {"minAvailable": self.min_available}
        return {"maxUnavailable": 1 if self.max_unavailable is None else self.max_unavailable}
