"""`incomingAuth`'s CRD references (issue 24 b): oidcConfigRef, authzConfig, authzConfigRef.

Each is read from the cluster objects, checked (missing object, Secret or ConfigMap key: a
`VmcpError` naming the fix, since they serve the whole vMCP), and written as the operator's
converter writes it: the OIDC client secret only as `VMCP_OIDC_CLIENT_SECRET`, a secretKeyRef.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories
from tests.factories import toolhive_object as _toolhive
from tests.unit.helpers import config_of, render_checked
from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.backends.read_plan import plan_reads
from vmcp_components.core.settings.args import ArgsError, parse_args
from vmcp_components.errors import VmcpError

Raw = dict[str, Any]
NS = factories.NAMESPACE
OIDC_REF = {"name": "corp-oidc", "audience": "vmcp-eng", "scopes": ["openid", "mcp"]}
POLICY = 'permit(principal, action == Action::"call_tool", resource);'


def _oidc_inline(**inline: Any) -> Raw:
    spec = {"issuer": "https://idp.example.com", "clientId": "vmcp", **inline}
    return _toolhive("MCPOIDCConfig", "corp-oidc", {"type": "inline", "inline": spec})


def _objects(*extra: Raw) -> list[Raw]:
    return [
        factories.group(),
        factories.entry("alpha", url="https://alpha.example.com/mcp", phase="Valid"),
        *extra,
    ]


def _render(objects: list[Raw], incoming: Raw) -> Any:
    return render_checked(factories.inventory(*objects), incomingAuth=incoming)


def _secret_oidc() -> list[Raw]:
    return _objects(
        _oidc_inline(
            clientSecretRef={"name": "oidc-client", "key": "secret"},
            caBundleRef={"configMapRef": {"name": "idp-ca", "key": "ca.crt"}},
        ),
        factories.secret("oidc-client", {"secret": "c2VjcmV0"}),
        factories.config_map("idp-ca", {"ca.crt": factories.ca_pem()}),
    )


def test_an_inline_oidc_config_is_written_as_the_operator_writes_it() -> None:
    rendering = _render(_secret_oidc(), {"type": "oidc", "oidcConfigRef": OIDC_REF})
    assert config_of(rendering)["incomingAuth"] == {
        "type": "oidc",
        "oidc": {
            "issuer": "https://idp.example.com",
            "clientId": "vmcp",
            "clientSecretEnv": "VMCP_OIDC_CLIENT_SECRET",
            "audience": "vmcp-eng",
            "resource": f"http://eng-tools.{NS}.svc.cluster.local:4483",
            "scopes": ["openid", "mcp"],
            "caBundlePath": "/config/certs/idp-ca/ca.crt",
        },
    }
    pod = rendering.object("Deployment")["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["VMCP_OIDC_CLIENT_SECRET"] == {
        "name": "VMCP_OIDC_CLIENT_SECRET",
        "valueFrom": {"secretKeyRef": {"name": "oidc-client", "key": "secret"}},
    }
    assert pod["volumes"][1] == {
        "name": "oidc-ca-bundle-idp-ca",
        "configMap": {"name": "idp-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
    }
    assert pod["containers"][0]["volumeMounts"][1] == {
        "name": "oidc-ca-bundle-idp-ca",
        "mountPath": "/config/certs/idp-ca",
        "readOnly": True,
    }
    assert "c2VjcmV0" not in json.dumps(rendering.objects) + json.dumps(rendering.status)


def test_a_service_account_oidc_config_uses_the_cluster_issuer_and_ca() -> None:
    config = _toolhive(
        "MCPOIDCConfig",
        "corp-oidc",
        {"type": "kubernetesServiceAccount", "kubernetesServiceAccount": {}},
    )
    incoming = {"type": "oidc", "oidcConfigRef": {**OIDC_REF, "resourceUrl": "https://v.example"}}
    oidc = config_of(_render(_objects(config), incoming))["incomingAuth"]["oidc"]
    assert oidc == {
        "issuer": "https://kubernetes.default.svc",
        "clientId": "",
        "audience": "vmcp-eng",
        "resource": "https://v.example",
        "scopes": ["openid", "mcp"],
        "jwksAllowPrivateIp": True,
        "caBundlePath": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    }


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        ("corp-oidc", 'MCPOIDCConfig "corp-oidc" not found in namespace'),
        ("oidc-client", 'Secret "oidc-client" referenced for MCPOIDCConfig "corp-oidc"'),
        ("idp-ca", 'ConfigMap "idp-ca" referenced by MCPOIDCConfig "corp-oidc" caBundleRef'),
    ],
)
def test_a_missing_oidc_object_fails_the_run_naming_it(drop: str, expected: str) -> None:
    objects = [o for o in _secret_oidc() if o["metadata"]["name"] != drop]
    with pytest.raises(VmcpError, match=r"incomingAuth\.oidcConfigRef|caBundleRef") as error:
        _render(objects, {"type": "oidc", "oidcConfigRef": OIDC_REF})
    assert expected in str(error.value)


def test_a_missing_secret_key_and_an_invalid_config_fail_the_run() -> None:
    objects = [o for o in _secret_oidc() if o["kind"] != "Secret"]
    objects.append(factories.secret("oidc-client", {"other": "eA=="}))
    with pytest.raises(VmcpError, match='has no key "secret"'):
        _render(objects, {"type": "oidc", "oidcConfigRef": OIDC_REF})
    broken = _toolhive("MCPOIDCConfig", "corp-oidc", {"type": "inline"})
    with pytest.raises(VmcpError, match="inline configuration must be set if and only if"):
        _render(_objects(broken), {"type": "oidc", "oidcConfigRef": OIDC_REF})
    refused = _oidc_inline()
    refused["status"] = {"conditions": [factories.condition("Valid", "False", message="bad")]}
    with pytest.raises(VmcpError, match="marked invalid by the operator: bad"):
        _render(_objects(refused), {"type": "oidc", "oidcConfigRef": OIDC_REF})


def test_inline_authz_policies_are_written_with_the_crd_default_entities() -> None:
    incoming = {
        "type": "anonymous",
        "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}, "roleClaimName": "r"},
    }
    authz = config_of(_render(_objects(), incoming))["incomingAuth"]["authz"]
    assert authz == {
        "type": "cedar",
        "policies": [POLICY],
        "entitiesJson": "[]",
        "roleClaimName": "r",
    }


def test_authz_from_a_configmap_and_its_failures() -> None:
    cedar = {"version": "1.0", "type": "cedarv1", "cedar": {"policies": [POLICY]}}
    good = factories.config_map("authz", {"authz.json": json.dumps(cedar)})
    incoming = {
        "type": "anonymous",
        "authzConfig": {"type": "configMap", "configMap": {"name": "authz"}},
    }
    authz = config_of(_render(_objects(good), incoming))["incomingAuth"]["authz"]
    assert authz == {"type": "cedar", "policies": [POLICY]}
    with pytest.raises(VmcpError, match=r"referenced by incomingAuth\.authzConfig"):
        _render(_objects(), incoming)
    wrong_key = factories.config_map("authz", {"policy.yaml": "x"})
    with pytest.raises(VmcpError, match=r'has no key "authz\.json"'):
        _render(_objects(wrong_key), incoming)
    not_cedar = factories.config_map("authz", {"authz.json": '{"type": "http"}'})
    with pytest.raises(VmcpError, match="not a Cedar config"):
        _render(_objects(not_cedar), incoming)


def test_authz_from_an_mcpauthzconfig() -> None:
    config = _toolhive(
        "MCPAuthzConfig", "shared", {"type": "cedarv1", "config": {"policies": [POLICY]}}
    )
    incoming = {"type": "anonymous", "authzConfigRef": {"name": "shared"}}
    authz = config_of(_render(_objects(config), incoming))["incomingAuth"]["authz"]
    assert authz == {"type": "cedar", "policies": [POLICY]}
    with pytest.raises(VmcpError, match='MCPAuthzConfig "shared" not found'):
        _render(_objects(), incoming)
    other = _toolhive("MCPAuthzConfig", "shared", {"type": "http", "config": {"url": "x"}})
    with pytest.raises(VmcpError, match="only cedarv1 is supported"):
        _render(_objects(other), incoming)


@pytest.mark.parametrize(
    ("incoming", "reason"),
    [
        ({"type": "oidc", "oidcConfigRef": {"name": "x"}}, "audience"),
        (
            {"type": "anonymous", "authzConfig": {"type": "inline"}},
            "inline must be set when type is 'inline'",
        ),
        (
            {
                "type": "anonymous",
                "authzConfig": {"type": "inline", "inline": {"policies": [POLICY]}},
                "authzConfigRef": {"name": "x"},
            },
            "authzConfig and authzConfigRef are mutually exclusive",
        ),
        (
            {
                "type": "oidc",
                "oidcConfigRef": OIDC_REF,
                "oidc": {"issuer": "https://i", "audience": "a"},
            },
            "either oidc or oidcConfigRef",
        ),
        ({"type": "oidc"}, "add incomingAuth.oidcConfigRef"),
    ],
)
def test_the_crd_rules_refuse_bad_references(incoming: Raw, reason: str) -> None:
    with pytest.raises(ArgsError, match=reason):
        parse_args({"namespace": NS, "group": "g", "incomingAuth": incoming})


def test_the_read_plan_reads_the_referenced_objects_and_key_names_only() -> None:
    authz = factories.config_map("authz", {"authz.json": "{}"})
    inventory = factories.inventory(*_secret_oidc(), authz)
    args = parse_args(
        {
            "namespace": NS,
            "group": factories.GROUP,
            "incomingAuth": {
                "type": "oidc",
                "oidcConfigRef": OIDC_REF,
                "authzConfig": {"type": "configMap", "configMap": {"name": "authz"}},
            },
        }
    )
    plan = plan_reads(inventory, factories.GROUP, None, (), incoming_references(args))
    assert ("MCPOIDCConfig", "corp-oidc") in plan.read_names()
    assert {"idp-ca", "authz"} <= set(plan.config_maps)
    assert plan.secret_keys == {"oidc-client": frozenset({"secret"})}
    unset = plan_reads(inventory, factories.GROUP, None, ())
    assert ("MCPOIDCConfig", "corp-oidc") not in unset.read_names()
