"""Render and the real vmcp v0.63.0 agree on every section a user writes into config.yaml.

Hypothesis draws 400 cases: valid `aggregation`, `operational` and `incomingAuth` sections, then
faults injected into them (FAULTS: bad enums, missing strategy config, bad, negative and too short
durations, negative counts, unknown fields, wrong types, tools entries naming backends outside the
group; every other case gets the next fault in turn so each is provoked, and Hypothesis may add
a second). Each case goes through `render` (arguments parsed, config rendered) and through the
real `vmcp validate --config F`, where F is a valid rendered config with the sections put in as
written (render's two whole-section defaults applied: no or empty `aggregation` is vmcp's prefix
default, `incomingAuth` without `type` is anonymous). Then:

- render refuses exactly what vmcp refuses, and each of vmcp's reasons is in render's message
  (vmcp's `incomingAuth.x ...` reads `incomingAuth: x ...` there; see core/settings/vmcp_sections);
  yaml.v3's type errors (`cannot unmarshal ...`) only count as refusals;
- what render accepts, vmcp accepts as render writes it (`vmcp validate` on render's own output);
- where render is stricter on purpose (STRICTER), render refuses: a non-string scalar or `yes`
  where vmcp takes a string or a bool (yaml.v3 converts silently), `toolConfigRef` (a static vmcp
  ignores it), an empty `priorityOrder` entry (`vmcp serve` refuses it, `vmcp validate` does not);
- every rule of vmcp's validator listed in RULES was provoked at least once.

Generation is derandomized (the same cases every run); the vmcp runs are batched on a thread pool
of four once all cases are drawn. `vmcp` is built by scripts/toolhive with two stand-ins
(`toolhive-core/redisconn`, `jwx-go/jwkfetch`, see tests/e2e/toolhive.py); `validate` reaches
neither.
"""

from __future__ import annotations

import copy
import random
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.e2e.section_cases import BACKENDS, EXTRA, PLANNED, Case, Pick, Raw, background, inject
from tests.e2e.toolhive import ToolHive
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.output.vmcp_config import DEFAULT_AGGREGATION
from vmcp_components.core.render import Rendering, render
from vmcp_components.core.settings.args import parse_args
from vmcp_components.errors import VmcpError

pytestmark = pytest.mark.e2e
CASES = 400
RULES = (
    "incomingAuth.type must be one of",
    "incomingAuth.oidc is required when type is 'oidc'",
    "incomingAuth.oidc.issuer is required",
    "incomingAuth.oidc.audience is required",
    "incomingAuth.oidc.caBundlePath must be an absolute path",
    "incomingAuth.oidc.caBundlePath contains invalid path characters",
    "incomingAuth.authz: type must be one of",
    "incomingAuth.authz: policies are required",
    "conflictResolution must be one of",
    "conflictResolutionConfig is required",
    "prefixFormat is required for prefix strategy",
    "priorityOrder is required for priority strategy",
    "tool overrides are required for manual strategy",
    "defaultToolVisibility must be one of",
    "defaultToolVisibility deny with priority strategy",
    "workload is required",
    "duplicate workload configuration",
    "at least one of name or description must be specified",
    "operational.timeouts.default must be positive",
    "must be positive",  # perWorkload
    "healthCheckInterval must be positive",
    "unhealthyThreshold must be positive",
    "healthCheckTimeout must be >= 0",
    "must be less than healthCheckInterval",
    "partialFailureMode must be one of",
    "circuitBreaker.failureThreshold must be >= 1",
    "circuitBreaker.timeout must be > 0",
    "circuitBreaker.timeout must be >= 1s",
    "not found in type config.",
    "invalid duration: time: ",
    "cannot unmarshal",
)
"""vmcp's refusals the generated cases must provoke at least once each (so the test can fail)."""
# ─── render, vmcp, and how their verdicts compare ───


def _inventory() -> Inventory:
    return factories.inventory(factories.group(), *(factories.entry(name) for name in BACKENDS))


def _config_text(rendering: Rendering) -> str:
    return rendering.object("ConfigMap")["data"]["config.yaml"]


def _render(case: Case, inventory: Inventory) -> None:
    try:
        args = parse_args(
            {"namespace": factories.NAMESPACE, "group": factories.GROUP, **case.sections}
        )
        case.rendered = _config_text(render(inventory, "eng-tools", args))
    except VmcpError as error:
        case.refusal = str(error)


def _as_vmcp_reads_it(base: Raw, sections: Raw) -> str:
    """The base config with each section as written (render's whole-section defaults applied)."""
    document = copy.deepcopy(base)
    for key, written in sections.items():
        section = written
        if key == "aggregation" and not section:
            section = DEFAULT_AGGREGATION
        if key == "incomingAuth" and "type" not in section:
            section = {"type": "anonymous", **section}
        document[key] = section
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _validate(vmcp: ToolHive, workdir: Path, text: str) -> subprocess.CompletedProcess[str]:
    workdir.mkdir(parents=True)
    (workdir / "config.yaml").write_text(text, encoding="utf-8")
    return subprocess.run(
        [str(vmcp.vmcp), "validate", "--config", "config.yaml"],
        capture_output=True, text=True, timeout=120, check=False, cwd=workdir,
        env={"VMCP_NAMESPACE": factories.NAMESPACE},
    )  # fmt: skip


_LIST_ITEM = re.compile(r"^\s+- (.+)$", re.MULTILINE)
_UNKNOWN_FIELD = re.compile(r"field \S+ not found in type \S+")
_DURATION = re.compile(r'invalid duration: time: .*?duration "(?:[^"\\]|\\.)*"')


def _error_block(output: str) -> str:
    """The `Error: ...` lines cobra prints (the JSON log lines around them escape quotes)."""
    block: list[str] = []
    for line in output.splitlines():
        if line.startswith("Error: ") or (block and not line.startswith("{")):
            block.append(line)
        elif block:
            break
    return "\n".join(block)


def vmcp_reasons(output: str) -> list[tuple[str, str]]:
    """vmcp's reasons as (section, reason), `incomingAuth.x ...` as ("incomingAuth", "x ...");
    the section is empty for a reason found while reading the YAML (it names its type)."""
    output = _error_block(output)
    if "invalid configuration:" not in output:  # refused while reading the YAML
        found = set(_UNKNOWN_FIELD.findall(output)) | set(_DURATION.findall(output))
        return [("", reason) for reason in sorted(found)]
    reasons = []
    listed = output.split("invalid configuration:", 1)[1]
    for line in dict.fromkeys(_LIST_ITEM.findall(listed)):
        reason = ("aggregation", line)
        for section in ("incomingAuth", "operational"):
            if line.startswith(section + "."):
                reason = (section, line.removeprefix(section + "."))
        reasons.append(reason)
    return reasons


def shows(message: str, section: str, reason: str) -> bool:
    """Whether render's message gives vmcp's reason: `<section>: <reason>`, or the reason as
    a later item (`; <reason>`) of that section's list (every bad override, every bad timeout)."""
    if not section:
        return reason in message
    return f"{section}: {reason}" in message or (
        f"{section}: " in message and f"; {reason}" in message
    )


def _disagreement(case: Case) -> str | None:
    assert case.vmcp_raw is not None
    output = case.vmcp_raw.stdout + case.vmcp_raw.stderr
    vmcp_refuses = case.vmcp_raw.returncode != 0
    if case.rendered is not None:
        assert case.vmcp_rendered is not None
        if case.vmcp_rendered.returncode != 0:
            return "render's own config is refused by vmcp: " + case.vmcp_rendered.stderr[-800:]
        if case.stricter:
            return f"render accepted a case stricter on purpose ({case.stricter})"
        return f"vmcp refuses what render accepts: {output[-800:]}" if vmcp_refuses else None
    if case.stricter:
        return None  # render refuses on purpose; vmcp may accept
    if not vmcp_refuses:
        return f"render refuses what vmcp accepts: {case.refusal}"
    assert case.refusal is not None
    missing = [
        f"{section}: {reason}"
        for section, reason in vmcp_reasons(output)
        if not shows(case.refusal, section, reason)
    ]
    if missing:
        return f"vmcp's reasons {missing} are not in render's message {case.refusal!r}"
    return None


def test_render_refuses_exactly_what_vmcp_refuses(real_toolhive: ToolHive, tmp_path: Path) -> None:
    inventory = _inventory()
    base_text = _config_text(render(inventory, "eng-tools", parse_args(
        {"namespace": factories.NAMESPACE, "group": factories.GROUP})))  # fmt: skip
    base = yaml.safe_load(base_text)
    cases: list[Case] = []

    @settings(
        max_examples=CASES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(background(), st.data())
    def draw(case: Case, data: st.DataObject) -> None:
        pick: Pick = lambda options: data.draw(st.sampled_from(options))  # noqa: E731
        inject(case, pick(EXTRA), pick)
        cases.append(case)

    started = time.monotonic()
    draw()
    chooser = random.Random(24)  # noqa: S311 - reproducible test data
    for index, case in enumerate(cases):  # and every fault in turn, so each is provoked
        inject(case, PLANNED[index % len(PLANNED)], chooser.choice)
        _render(case, inventory)
    drawn = time.monotonic()

    def run(index: int) -> None:
        case = cases[index]
        raw = _as_vmcp_reads_it(base, case.sections)
        case.vmcp_raw = _validate(real_toolhive, tmp_path / f"{index}-raw", raw)
        if case.rendered is not None:
            case.vmcp_rendered = _validate(
                real_toolhive, tmp_path / f"{index}-rendered", case.rendered
            )

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run, range(len(cases))))
    finished = time.monotonic()

    refused = sum(case.refusal is not None for case in cases)
    print(  # the figures for the issue note (pytest -s shows them)
        f"\n{len(cases)} cases ({refused} refused by render, "
        f"{sum(bool(c.stricter) for c in cases)} stricter on purpose); generation and render "
        f"{drawn - started:.1f}s, {sum(c.vmcp_rendered is not None for c in cases) + len(cases)} "
        f"vmcp runs {finished - drawn:.1f}s"
    )
    seen = "\n".join(_error_block(c.vmcp_raw.stderr) for c in cases if c.vmcp_raw is not None)
    print({rule: seen.count(rule) for rule in RULES})
    assert not [rule for rule in RULES if rule not in seen], "rules never provoked"
    problems = [
        f"{case.sections}: {problem}"
        for case in cases
        if (problem := _disagreement(case)) is not None
    ]
    assert len(cases) >= CASES * 0.9
    assert CASES * 0.2 < refused < CASES * 0.9, "the generator should make both kinds of case"
    assert not problems, f"{len(problems)} of {len(cases)} disagree:\n" + "\n".join(problems[:20])
