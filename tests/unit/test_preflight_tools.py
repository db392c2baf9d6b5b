"""The tool names vMCP would serve: vmcp v0.63.0's aggregator rules, case by case."""

from __future__ import annotations

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
