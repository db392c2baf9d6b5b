"""The tool names vMCP would serve: vmcp v0.63.0's aggregator rules, case by case."""

from __future__ import annotations

from vmcp_components.preflight.report import Report, format_table
from vmcp_components.preflight.tools import predict

TOOLS = {"alpha": ["echo", "add"], "beta": ["echo", "search"]}


def names(aggregation: dict[str, object], tools: dict[str, list[str]] = TOOLS) -> list[str]:
    return [t.name for t in predict(aggregation, tools).served]


def test_prefix_is_the_default_and_every_shared_name_is_reported() -> None:
    prediction = predict({}, TOOLS)
    assert [t.name for t in prediction.served] == [
        "alpha_add",
        "alpha_echo",
        "beta_echo",
        "beta_search",
    ]
    (collision,) = prediction.collisions
    assert (collision.tool, collision.backends, collision.fatal) == (
        "echo",
        ("alpha", "beta"),
        False,
    )


def test_a_prefix_format_that_makes_names_equal_is_fatal() -> None:
    aggregation = {
        "conflictResolution": "prefix",
        "conflictResolutionConfig": {"prefixFormat": "x_"},
    }
    prediction = predict(aggregation, TOOLS)
    assert [c.tool for c in prediction.collisions if c.fatal] == ["x_echo"]


def test_priority_keeps_the_first_listed_backend() -> None:
    aggregation = {
        "conflictResolution": "priority",
        "conflictResolutionConfig": {"priorityOrder": ["beta", "alpha"]},
    }
    prediction = predict(aggregation, TOOLS)
    assert [(t.name, t.backend) for t in prediction.served] == [
        ("add", "alpha"), ("echo", "beta"), ("search", "beta"),
    ]  # fmt: skip
    assert (
        prediction.collisions[0].outcome == "served from beta (priorityOrder); dropped from alpha"
    )


def test_priority_drops_a_shared_name_of_an_unlisted_backend_everywhere() -> None:
    aggregation = {
        "conflictResolution": "priority",
        "conflictResolutionConfig": {"priorityOrder": ["alpha"]},
    }
    assert names(aggregation) == ["add", "search"]


def test_manual_without_an_override_for_each_fails_the_aggregation() -> None:
    prediction = predict({"conflictResolution": "manual"}, TOOLS)
    assert prediction.served == ()
    assert prediction.error is not None
    assert "echo in alpha, beta" in prediction.error


def test_manual_with_overrides_renames() -> None:
    aggregation = {
        "conflictResolution": "manual",
        "tools": [
            {"workload": "alpha", "overrides": {"echo": {"name": "alpha_echo"}}},
            {"workload": "beta", "overrides": {"echo": {"name": "beta_echo"}}},
        ],
    }
    # overrides rename first (processBackendTools), so nothing is shared any more
    assert names(aggregation) == ["add", "alpha_echo", "beta_echo", "search"]


def test_filters_and_visibility_hide_tools_by_their_post_override_name() -> None:
    aggregation = {
        "tools": [
            {"workload": "alpha", "filter": ["ping"], "overrides": {"echo": {"name": "ping"}}}
        ],
        "defaultToolVisibility": "deny",
    }
    assert names(aggregation) == ["alpha_ping"]
    assert names({"excludeAllTools": True}) == []
    assert names({"tools": [{"workload": "beta", "excludeAll": True}]}) == [
        "alpha_add",
        "alpha_echo",
    ]


def test_an_unknown_strategy_is_an_error() -> None:
    assert predict({"conflictResolution": "newest"}, TOOLS).error is not None


def composite(name: str, *tools: str, for_each: str | None = None) -> dict[str, object]:
    steps: list[dict[str, object]] = [
        {"id": f"s{i}", "type": "tool", "tool": tool} for i, tool in enumerate(tools)
    ]
    if for_each:
        inner = {"id": "inner", "type": "tool", "tool": for_each}
        steps.append({"id": "each", "type": "forEach", "collection": "[]", "step": inner})
    steps.append({"id": "ask", "type": "elicitation", "message": "go on?"})
    return {"name": name, "steps": steps}


def test_a_composite_tool_is_listed_when_every_step_routes() -> None:
    # a routed name, `{workload}.{the backend's own name}`, a forEach's inner tool step
    tools = [composite("flow", "alpha_add", "beta.echo", for_each="beta.search")]
    prediction = predict({}, TOOLS, tools)

    assert [t.name for t in prediction.served][-1] == "flow"
    flow = prediction.served[-1]
    assert (flow.composite, flow.original) == (True, "alpha_add, beta.echo, beta.search")
    assert prediction.withheld == ()


def test_a_step_routes_through_a_hidden_tool_and_the_backends_own_name() -> None:
    # excludeAll hides beta's tools from the list, not from the routing table; the dot form
    # names the backend's own tool, not the override's name
    aggregation: dict[str, object] = {
        "tools": [{"workload": "beta", "excludeAll": True, "overrides": {"echo": {"name": "say"}}}]
    }
    prediction = predict(aggregation, TOOLS, [composite("flow", "beta.echo", "beta_say")])
    assert [*names(aggregation), "flow"] == [t.name for t in prediction.served]
    assert predict(aggregation, TOOLS, [composite("bad", "beta.say")]).withheld != ()


def test_a_composite_tool_whose_step_does_not_route_is_withheld() -> None:
    # gamma did not answer (or does not exist), alpha has no `search`
    tools = [composite("flow", "alpha.echo"), composite("gone", "gamma.echo", "alpha.search")]
    prediction = predict({}, TOOLS, tools)

    assert [t.name for t in prediction.served if t.composite] == ["flow"]
    (withheld,) = prediction.withheld
    assert withheld.tool == "gone"
    assert "gamma.echo, alpha.search not served by any backend that answered" in withheld.reason


def test_a_composite_tool_named_like_a_backend_tool_drops_every_composite_tool() -> None:
    tools = [composite("alpha_add", "alpha.add"), composite("flow", "beta.echo")]
    prediction = predict({}, TOOLS, tools)

    assert not any(t.composite for t in prediction.served)
    assert {w.tool for w in prediction.withheld} == {"alpha_add", "flow"}
    [clash] = [c for c in prediction.collisions if c.tool == "alpha_add"]
    assert clash.fatal
    assert "vMCP drops every composite tool" in clash.outcome


def test_a_withheld_composite_tool_fails_preflight_and_says_why() -> None:
    prediction = predict({}, TOOLS, [composite("flow", "alpha.echo"), composite("gone", "x.y")])
    report = Report((), prediction)

    assert report.passed is False
    assert report.problem_lines() == [
        'composite tool "gone": step tool(s) x.y not served by any backend that answered '
        "(or misspelt): vMCP does not list this composite tool"
    ]
    document = report.as_json()
    assert document["servedTools"][-1] == {
        "name": "flow", "backend": "", "original": "alpha.echo", "composite": True
    }  # fmt: skip
    assert [w["tool"] for w in document["withheldTools"]] == ["gone"]
    table = format_table(report).splitlines()
    assert "  flow  <- composite of: alpha.echo" in table
    assert "composite tools vMCP would not serve (1):" in table
