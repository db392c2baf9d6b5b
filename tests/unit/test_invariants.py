"""The invariant checker (tests/invariants.py) can fail, and catches what the renderer missed.

Its rules are checked at their limits here, each break of a good rendering is named, and the
duplicate-volume bug of issue 22 (hashing the normalised entry name, so `a.b-c` and `a-b.c`
got one CA volume) fails every test that renders such a group.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests import factories, k8s_rules
from tests.invariants import violations
from vmcp_components.core import naming
from vmcp_components.core import render as render_module

Raw = dict[str, Any]


def _twins() -> list[Raw]:
    """Two CA entries whose names normalise alike (`.` and `-` swapped)."""
    return [
        factories.group(),
        factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}),
        factories.entry("a.b-c", ca=("corp-ca", "ca.crt")),
        factories.entry("a-b.c", ca=("corp-ca", "ca.crt")),
    ]


def _render(objects: list[Raw], **args: Any) -> render_module.Rendering:
    return render_module.render(factories.inventory(*objects), "eng-tools", factories.args(**args))


def _hashing_the_normalised_name(entry: str) -> str:
    """The mutant of issue 22: the digest of the normalised name instead of the entry's."""
    name = f"ca-bundle-{entry}"
    if naming.is_dns_label(name):
        return name
    safe = re.sub(r"[^a-z0-9-]", "-", entry.lower())[:44].strip("-")
    return f"ca-bundle-{safe}-{hashlib.sha256(safe.encode()).hexdigest()[:8]}"


def test_twins_get_distinct_volumes() -> None:
    rendering = _render(_twins())
    volumes = rendering.object("Deployment")["spec"]["template"]["spec"]["volumes"]
    assert len({v["name"] for v in volumes}) == len(volumes) == 3
    assert violations(rendering.objects) == []


def test_the_duplicate_volume_mutant_fails_every_rendering_of_twins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(naming, "ca_bundle_volume_name", _hashing_the_normalised_name)
    with pytest.raises(AssertionError, match=r"volume names: 'ca-bundle-a-b-c-[0-9a-f]{8}'"):
        _render(_twins())  # the render every test calls is checked (tests/conftest.py)


# ─── the rules, at their limits ───

RULES: list[tuple[Callable[[str], bool], list[str], list[str]]] = [
    (
        k8s_rules.is_dns_label,
        ["a", "a" * 63, "a-1", "0a"],
        ["", "a" * 64, "A", "a.b", "-a", "a-", "é", "a_b"],
    ),
    (
        k8s_rules.is_dns_subdomain,
        ["a.b", ".".join(["a" * 63] * 3) + "." + "a" * 61],
        ["", ".".join(["a" * 63] * 3) + "." + "a" * 62, "a..b", ".a", "a.", "a_b", "A"],
    ),
    (k8s_rules.is_dns_1035_label, ["a", "a" * 63, "a-1"], ["1a", "a" * 64, "a.b", "", "-a"]),
    (
        k8s_rules.is_port_name,
        ["http", "a" * 15, "h2-c", "1a"],
        ["a" * 16, "", "123", "a--b", "-a", "a-", "HTTP", "a_b"],
    ),
    (
        k8s_rules.is_env_var_name,
        ["A", "_A1", "a.b-c", "TOOLHIVE_SECRET_X"],
        ["", "1A", "A=B", "A B", "É", ".", "..", "..A"],
    ),
    (
        k8s_rules.is_config_map_key,
        ["ca.crt", "a" * 253, "-_."],
        ["", "a" * 254, "a/b", ".", "..", "..a", "é"],
    ),
    (
        k8s_rules.is_qualified_name,
        ["app", "a" * 63, "toolhive.stacklok.dev/content-checksum", "a.b/C_d"],
        ["", "a" * 64, "/a", "a/", "A_/b", "a/b/c", "-a", "a_"],
    ),
    (k8s_rules.is_label_value, ["", "a" * 63, "v1.2_3"], ["a" * 64, "-a", "a b"]),
    (k8s_rules.is_path_segment, ["a", "a.b", "..a"], [".", "..", "a/b", "a%2F"]),
    (k8s_rules.is_local_path, ["ca.crt", "a/b", "..a/b"[2:]], ["", "/a", "../a", "a/../b", "..a"]),
]


@pytest.mark.parametrize(("rule", "good", "bad"), RULES, ids=[r[0].__name__ for r in RULES])
def test_each_rule_at_its_limits(
    rule: Callable[[str], bool], good: list[str], bad: list[str]
) -> None:
    assert [value for value in good if not rule(value)] == []
    assert [value for value in bad if rule(value)] == []


# ─── every break of a good rendering is named ───


def _good() -> list[Raw]:
    objects = [
        *factories.example_objects(),
        factories.entry("fwd", secret_headers=[("X-Key", "creds", "k")], plaintext={"A": "$x"}),
        factories.secret("creds", {"k": "dg=="}),
    ]
    return [copy.deepcopy(o) for o in _render(objects, replicas=2).objects]


def _kind(objects: list[Raw], kind: str) -> Raw:
    return next(o for o in objects if o["kind"] == kind)


def _pod(objects: list[Raw]) -> Raw:
    return _kind(objects, "Deployment")["spec"]["template"]["spec"]


def _env(objects: list[Raw]) -> list[Raw]:
    return _pod(objects)["containers"][0]["env"]


def _drop_env(prefix: str) -> Callable[[list[Raw]], None]:
    def drop(objects: list[Raw]) -> None:
        env = _env(objects)
        env.remove(next(e for e in env if e["name"].startswith(prefix)))

    return drop


def _set_config(objects: list[Raw], change: Callable[[Raw], None]) -> None:
    import yaml

    config_map = _kind(objects, "ConfigMap")
    document = yaml.safe_load(config_map["data"]["config.yaml"])
    change(document)
    config_map["data"]["config.yaml"] = yaml.safe_dump(document)


BREAKS: dict[str, tuple[Callable[[list[Raw]], None], str]] = {
    "duplicate object": (lambda o: o.append(copy.deepcopy(o[0])), "appears more than once"),
    "Service name": (
        lambda o: _kind(o, "Service")["metadata"].update(name="1vmcp"),
        "'1vmcp' is not a DNS-1035 label",
    ),
    "volume twice": (
        lambda o: _pod(o)["volumes"].append(copy.deepcopy(_pod(o)["volumes"][-1])),
        "volume names: 'ca-bundle-internal-mcp' appears more than once",
    ),
    "mount without volume": (
        lambda o: _pod(o)["volumes"].pop(),
        "no volume 'ca-bundle-internal-mcp'",
    ),
    "env twice": (lambda o: _env(o).append(_env(o)[0]), "env names: 'VMCP_NAMESPACE'"),
    "bad env name": (
        lambda o: _env(o).append({"name": "1X", "value": ""}),
        "'1X' is not an env var name",
    ),
    "token exchange secret missing": (
        _drop_env("TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_"),
        "TOOLHIVE_TOKEN_EXCHANGE_CLIENT_SECRET_SALESFORCE_AUTH is read by vmcp but not set",
    ),
    "header secret missing": (
        _drop_env("TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY"),
        "TOOLHIVE_SECRET_HEADER_FORWARD_X_KEY_FWD is read by vmcp but not set",
    ),
    "secrets provider missing": (
        _drop_env("TOOLHIVE_SECRETS_PROVIDER"),
        "TOOLHIVE_SECRETS_PROVIDER is not environment",
    ),
    "orphan secret env": (
        lambda o: _env(o).append(
            {"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
        ),
        "env var X is filled from a Secret but nothing reads it",
    ),
    "CA file not mounted": (
        lambda o: _pod(o)["containers"][0]["volumeMounts"][-1].update(mountPath="/elsewhere"),
        "caBundlePath /etc/toolhive/ca-bundles/internal-mcp/ca.crt is not mounted",
    ),
    "CA volume of a skipped backend": (
        lambda o: _set_config(
            o, lambda d: d.update(backends=[b for b in d["backends"] if "caBundlePath" not in b])
        ),
        "CA mount /etc/toolhive/ca-bundles/internal-mcp serves no backend",
    ),
    "header env of no backend": (
        lambda o: _set_config(
            o, lambda d: d.update(backends=[b for b in d["backends"] if b["name"] != "fwd"])
        ),
        "TOOLHIVE_HEADER_FORWARD_FWD belongs to no backend",
    ),
    "config not mounted": (
        lambda o: _pod(o)["containers"][0]["args"].__setitem__(1, "--config=/x/config.yaml"),
        "/x/config.yaml is not mounted",
    ),
    "selector": (
        lambda o: _kind(o, "Deployment")["spec"]["selector"]["matchLabels"].update(app="x"),
        "selector does not match the template labels",
    ),
    "Service selects nothing": (
        lambda o: _kind(o, "Service")["spec"]["selector"].update(app="x"),
        "selects no vmcp pod",
    ),
    "PDB selects nothing": (
        lambda o: (
            _kind(o, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].clear()
            or _kind(o, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].update(a="b")
        ),
        "PodDisruptionBudget eng-tools: selects no vmcp pod",
    ),
    "port 65536": (
        lambda o: _kind(o, "Service")["spec"]["ports"][0].update(port=65536),
        "port http: out of range",
    ),
    "RoleBinding to nothing": (
        lambda o: _kind(o, "RoleBinding")["roleRef"].update(name="x"),
        "RoleBinding eng-tools-vmcp: no Role",
    ),
    "label value": (
        lambda o: _kind(o, "Service")["metadata"]["labels"].update(app="a" * 64),
        "is not a label value",
    ),
}


def test_the_good_rendering_has_no_violations() -> None:
    assert violations(_good()) == []


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_break_is_named(case: str) -> None:
    objects = _good()
    mutate, expected = BREAKS[case]
    mutate(objects)
    found = violations(objects)
    assert any(expected in problem for problem in found), json.dumps(found, indent=1)


def _config_map_bytes(config_map: Raw) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in config_map["data"].items())


@pytest.mark.parametrize("over", [0, 1])
def test_config_map_data_at_one_mib_and_one_byte_more(over: int) -> None:
    objects = _good()
    config_map = _kind(objects, "ConfigMap")
    room = 1024 * 1024 - _config_map_bytes(config_map) - len(b"pad")
    config_map["data"]["pad"] = "é" * (room // 2) + "x" * (room % 2 + over)
    assert _config_map_bytes(config_map) == 1024 * 1024 + over
    expected = [f"ConfigMap eng-tools-vmcp-config: data is {1024 * 1024 + 1} bytes, over 1 MiB"]
    assert violations(objects) == (expected if over else [])


@pytest.mark.parametrize("over", [0, 1])
def test_an_env_string_at_linux_limit_and_one_byte_more(over: int) -> None:
    objects = _good()
    # "A=" + value + NUL: 131072 bytes at the limit, with two-byte characters
    _env(objects).append({"name": "A", "value": "é" * 65534 + "x" * (1 + over)})
    expected = "Deployment eng-tools container vmcp env A: 131073 bytes, over Linux's 131072"
    assert violations(objects) == ([expected] if over else [])
