"""Generated config.yaml sections for tests/e2e/test_vmcp_config_agreement.py.

`background()` draws valid `aggregation`, `operational` and `incomingAuth` sections; `inject`
breaks them with one named fault of FAULTS (what vmcp refuses) or of STRICTER (what render
refuses on purpose though vmcp lets it through).
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

BACKENDS = ("alpha", "beta")
NAMES = (*BACKENDS, "ghost", "")
Raw = dict[str, Any]


@dataclass
class Case:
    """One generated set of sections, what render said, and (later) what vmcp said."""

    sections: Raw
    stricter: list[str] = field(default_factory=list)
    """Why render must refuse though vmcp may accept (empty: the verdicts must be equal)."""
    refusal: str | None = None
    rendered: str | None = None
    vmcp_raw: subprocess.CompletedProcess[str] | None = None
    vmcp_rendered: subprocess.CompletedProcess[str] | None = None


# ─── the generator ───
# A case is valid background sections (random) plus up to two faults drawn from FAULTS, so every
# rule of vmcp is provoked (RULES checks it) while combinations still occur; vmcp reports only
# the first broken rule of a section, render must show that one.

GOOD_DURATIONS = ("30s", "0", "0s", "1m", "90s", "10s", "2m", "1h2m3.5s", "+3s", "5s")
BAD_DURATIONS = ("5x", "30", "", "1m30", "9223372036854775808ns", "-", ".s", "1e3s")
_FUZZ = random.Random(21)  # noqa: S311 - reproducible test data
FUZZED_DURATIONS = tuple(
    "".join(_FUZZ.choice("0123456789.smhnuµ-+x") for _ in range(_FUZZ.randint(1, 6)))
    for _ in range(40)
)
"""Strings made of a duration's characters, for Go's parser and ours to judge alike."""
Pick = Callable[[Sequence[Any]], Any]
DURATION_KEYS = (
    ("timeouts", "default"), ("timeouts", "backendInit"),
    ("failureHandling", "healthCheckInterval"), ("failureHandling", "statusReportingInterval"),
    ("failureHandling", "healthCheckTimeout"),
)  # fmt: skip


def _optional(draw: st.DrawFn, key: str, values: st.SearchStrategy[Any], into: Raw) -> None:
    if draw(st.booleans()):
        into[key] = draw(values)


@st.composite
def _aggregation(draw: st.DrawFn) -> Raw:
    strategy = draw(st.sampled_from(["prefix", "priority", "manual"]))
    section: Raw = {"conflictResolution": strategy, "conflictResolutionConfig": {}}
    if strategy == "prefix" or draw(st.booleans()):
        prefix = draw(st.sampled_from(["{workload}_", "x."]))
        section["conflictResolutionConfig"]["prefixFormat"] = prefix
    if strategy == "priority" or draw(st.booleans()):
        order = draw(st.lists(st.sampled_from([*BACKENDS, "ghost"]), min_size=1, max_size=3))
        section["conflictResolutionConfig"]["priorityOrder"] = order
    workloads = draw(st.sets(st.sampled_from([*BACKENDS, "ghost"]), min_size=strategy == "manual"))
    if workloads:
        section["tools"] = []
    for workload in sorted(workloads):
        tool: Raw = {"workload": workload}
        _optional(draw, "filter", st.lists(st.sampled_from(["echo", "add"]), max_size=2), tool)
        override = st.fixed_dictionaries(
            {}, optional={"name": st.just("renamed"), "description": st.just("Does it.")}
        ).filter(bool)
        names = st.sampled_from(["echo", "add"])
        _optional(draw, "overrides", st.dictionaries(names, override, max_size=2), tool)
        _optional(draw, "excludeAll", st.booleans(), tool)
        section["tools"].append(tool)
    _optional(draw, "excludeAllTools", st.booleans(), section)
    visibility = st.sampled_from(["allow", ""] + ([] if strategy == "priority" else ["deny"]))
    _optional(draw, "defaultToolVisibility", visibility, section)
    return section


@st.composite
def _operational(draw: st.DrawFn) -> Raw:
    section: Raw = {}
    durations = st.sampled_from(GOOD_DURATIONS)
    _optional(draw, "logLevel", st.sampled_from(["debug", "info"]), section)
    if draw(st.booleans()):
        timeouts: Raw = {}
        _optional(draw, "default", durations, timeouts)
        positive = durations.filter(lambda d: d not in ("0", "0s"))
        per_workload = st.dictionaries(st.sampled_from(BACKENDS), positive, max_size=2)
        _optional(draw, "perWorkload", per_workload, timeouts)
        _optional(draw, "backendInit", durations, timeouts)
        section["timeouts"] = timeouts
    if draw(st.booleans()):
        failure: Raw = {}
        _optional(draw, "healthCheckInterval", durations, failure)
        _optional(draw, "healthCheckTimeout", st.sampled_from(["0s", "1s", "2s"]), failure)
        _optional(draw, "statusReportingInterval", durations, failure)
        _optional(draw, "unhealthyThreshold", st.sampled_from([0, 1, 3]), failure)
        _optional(draw, "partialFailureMode", st.sampled_from(["fail", "best_effort", ""]), failure)
        if draw(st.booleans()):
            breaker: Raw = {}
            _optional(draw, "enabled", st.booleans(), breaker)
            _optional(draw, "failureThreshold", st.sampled_from([0, 1, 5]), breaker)
            _optional(draw, "timeout", durations, breaker)
            failure["circuitBreaker"] = breaker
        section["failureHandling"] = failure
    if draw(st.booleans()):
        section["listChanged"] = {"enabled": False, "disabledWorkloads": ["ghost"]}
    return section


@st.composite
def _incoming(draw: st.DrawFn) -> Raw:
    kind = draw(st.sampled_from(["anonymous", "oidc", "local", None]))
    section: Raw = {} if kind is None else {"type": kind}
    if kind == "oidc" or draw(st.booleans()):
        oidc: Raw = {"issuer": "https://idp.example.com", "audience": "vmcp"}
        _optional(draw, "clientId", st.just("vmcp"), oidc)
        _optional(draw, "caBundlePath", st.just("/etc/idp/ca.crt"), oidc)
        _optional(draw, "scopes", st.just(["openid"]), oidc)
        section["oidc"] = oidc
    if draw(st.booleans()):
        policies = ["permit(principal, action, resource);"]
        authz = [{"type": "none"}, {"type": "cedar", "policies": policies}]
        section["authz"] = draw(st.sampled_from(authz))
    return section


def _at(case: Case, *path: str) -> Raw:
    """The mapping at `path` in the case's sections, made if absent (or not a mapping)."""
    node = case.sections
    for key in path:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    return node


def _strategy(case: Case, strategy: str, config: Raw | None) -> Raw:
    aggregation = _at(case, "aggregation")
    aggregation["conflictResolution"] = strategy
    aggregation["conflictResolutionConfig"] = config
    return aggregation


def _tools(case: Case) -> list[Raw]:
    aggregation = _at(case, "aggregation")
    if not isinstance(aggregation.get("tools"), list) or not aggregation["tools"]:
        aggregation["tools"] = [{"workload": "alpha"}]
    return aggregation["tools"]


def _breaker(case: Case, **fields: Any) -> None:
    _at(case, "operational", "failureHandling", "circuitBreaker").update(enabled=True, **fields)


def _bad_duration(case: Case, pick: Pick) -> None:
    struct, key = pick(DURATION_KEYS)
    _at(case, "operational", struct)[key] = pick(BAD_DURATIONS + FUZZED_DURATIONS)


FAULTS: dict[str, Any] = {
    # aggregation
    "bad strategy": lambda c, pick: _at(c, "aggregation").update(
        conflictResolution=pick(["prefx", "", "Prefix"])
    ),
    "no strategy config": lambda c, pick: _strategy(
        c, pick(["prefix", "priority", "manual"]), None
    ),
    "no prefixFormat": lambda c, pick: _strategy(c, "prefix", pick([{}, {"prefixFormat": ""}])),
    "no priorityOrder": lambda c, pick: _strategy(c, "priority", pick([{}, {"priorityOrder": []}])),
    "manual without tools": lambda c, pick: _strategy(c, "manual", {}).pop("tools", None),
    "bad visibility": lambda c, pick: _at(c, "aggregation").update(
        defaultToolVisibility=pick(["denied", "Deny"])
    ),
    "deny with priority": lambda c, pick: _strategy(
        c, "priority", {"priorityOrder": ["alpha", "beta"]}
    ).update(defaultToolVisibility="deny", tools=[{"workload": "alpha"}]),
    "tool without workload": lambda c, pick: _tools(c).append({"filter": ["echo"]}),
    "duplicate workload": lambda c, pick: _tools(c).append(dict(_tools(c)[0])),
    "empty override": lambda c, pick: _tools(c)[0].update(
        overrides={"echo": pick([{}, {"name": ""}, {"annotations": {"title": "T"}}])}
    ),
    "ghost workload (a warning)": lambda c, pick: _tools(c).append({"workload": "alpah"}),
    "unknown aggregation field": lambda c, pick: _at(c, "aggregation").update(
        conflictResolutionConfg={}
    ),
    "unknown tool field": lambda c, pick: _tools(c)[0].update(filtr=["echo"]),
    "not a bool": lambda c, pick: _at(c, "aggregation").update(excludeAllTools="maybe"),
    # operational
    "default not positive": lambda c, pick: _at(c, "operational", "timeouts").update(
        default=pick(["-5s", "-1ns"])
    ),
    "perWorkload not positive": lambda c, pick: _at(
        c, "operational", "timeouts", "perWorkload"
    ).update(beta=pick(["0s", "-1m"])),
    "interval not positive": lambda c, pick: _at(c, "operational", "failureHandling").update(
        healthCheckInterval="-30s"
    ),
    "threshold not positive": lambda c, pick: _at(c, "operational", "failureHandling").update(
        unhealthyThreshold=pick([-1, -3])
    ),
    "threshold quoted": lambda c, pick: _at(c, "operational", "failureHandling").update(
        unhealthyThreshold="3"
    ),
    "check timeout negative": lambda c, pick: _at(c, "operational", "failureHandling").update(
        healthCheckTimeout="-1.5s"
    ),
    "check timeout too long": lambda c, pick: _at(c, "operational", "failureHandling").update(
        healthCheckInterval="10s", healthCheckTimeout=pick(["10s", "1h"])
    ),
    "bad failure mode": lambda c, pick: _at(c, "operational", "failureHandling").update(
        partialFailureMode=pick(["best-effort", "Fail"])
    ),
    "breaker threshold": lambda c, pick: _breaker(c, failureThreshold=-1),
    "breaker timeout not positive": lambda c, pick: _breaker(c, timeout=pick(["-1s", "-1ms"])),
    "breaker timeout short": lambda c, pick: _breaker(c, timeout=pick(["999ms", ".5s", "1µs"])),
    "unknown breaker field": lambda c, pick: _at(
        c, "operational", "failureHandling", "circuitBreaker"
    ).update(enable=True),
    "bad duration": _bad_duration,
    # incomingAuth
    "bad auth type": lambda c, pick: _at(c, "incomingAuth").update(
        type=pick(["oauth", "", "OIDC"])
    ),
    "oidc missing": lambda c, pick: _at(c, "incomingAuth").update(type="oidc", oidc=None),
    "no issuer": lambda c, pick: _at(c, "incomingAuth").update(
        type="oidc", oidc={"audience": "vmcp"}
    ),
    "no audience": lambda c, pick: _at(c, "incomingAuth").update(
        type="oidc", oidc={"issuer": "https://i", "audience": ""}
    ),
    "bad oidc CA path": lambda c, pick: _at(c, "incomingAuth").update(
        type="oidc",
        oidc={
            "issuer": "https://i",
            "audience": "a",
            "caBundlePath": pick(["certs/ca.crt", "/etc/../ca.crt"]),
        },
    ),
    "bad authz type": lambda c, pick: _at(c, "incomingAuth").update(
        authz={"type": pick(["opa", ""])}
    ),
    "cedar without policies": lambda c, pick: _at(c, "incomingAuth").update(
        authz={"type": "cedar"}
    ),
    "unknown oidc field": lambda c, pick: _at(c, "incomingAuth", "oidc").update(audiences=["vmcp"]),
}
STRICTER: dict[str, Any] = {  # render refuses on purpose, vmcp lets these through
    "toolConfigRef": lambda c, pick: _tools(c)[0].update(toolConfigRef={"name": "curated"}),
    "a number as prefixFormat": lambda c, pick: _strategy(c, "prefix", {"prefixFormat": 12}),
    "yes as a bool": lambda c, pick: _at(c, "aggregation").update(excludeAllTools="yes"),
    "an empty priorityOrder entry": lambda c, pick: _strategy(
        c, "priority", {"priorityOrder": ["alpha", ""]}
    ),
}


FAULT_NAMES = (*sorted(FAULTS), *sorted(STRICTER))
PLANNED = tuple(name for fault in FAULT_NAMES for name in (fault, None))
"""One case in two gets the next fault in turn (so each is provoked), the other none."""
EXTRA = (None, *FAULT_NAMES)
"""A second fault drawn at random (Hypothesis favours the first choice: none)."""


@st.composite
def background(draw: st.DrawFn) -> Case:
    case = Case(sections={})
    names = st.sampled_from(["aggregation", "operational", "incomingAuth"])
    keys = draw(st.sets(names, min_size=1))
    if "aggregation" in keys:
        case.sections["aggregation"] = draw(_aggregation())
    if "operational" in keys:
        case.sections["operational"] = draw(_operational())
    if "incomingAuth" in keys:
        case.sections["incomingAuth"] = draw(_incoming())
    return case


def inject(case: Case, fault: str | None, pick: Pick) -> None:
    if fault in STRICTER:
        STRICTER[fault](case, pick)
        case.stricter.append(fault)
    elif fault is not None:
        FAULTS[fault](case, pick)
