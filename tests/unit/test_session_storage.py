"""sessionStorage, rateLimiting, optimizer and embeddingServerRef (issue 24, operator parity).

Typed after the v0.63.0 CRD and checked with its CEL rules and vmcp's own checks, in their words
plus the fix; written into config.yaml as the operator's converter writes them. The Redis
password is a Secret key reference only: it reaches the pod as `THV_SESSION_REDIS_PASSWORD`
(secretKeyRef) and never appears in config.yaml, the other objects or the status.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories
from tests.unit.helpers import config_of, container_of, env_by_name, render_checked
from vmcp_components.core.backends.incoming_auth import incoming_references
from vmcp_components.core.backends.read_plan import plan_reads
from vmcp_components.core.output.yaml_text import dump
from vmcp_components.core.settings.args import ArgsError, parse_args
from vmcp_components.errors import VmcpError

Raw = dict[str, Any]
NS = factories.NAMESPACE
PASSWORD = "hunter2-redis-password"  # a test value that must never be rendered
REDIS: Raw = {
    "provider": "redis",
    "address": "redis.cache.svc:6379",
    "db": 3,
    "keyPrefix": "vmcp:",
    "passwordRef": {"name": "redis-auth", "key": "password"},
    "tls": {"caCertSecretRef": {"name": "redis-ca", "key": "ca.pem"}},
}
BUCKET: Raw = {"maxTokens": 10, "refillPeriod": "1m"}
OIDC: Raw = {"type": "oidc", "oidcConfigRef": {"name": "corp-oidc", "audience": "vmcp"}}


def _objects(*extra: Raw) -> list[Raw]:
    return [
        factories.group(),
        factories.entry("alpha", url="https://alpha.example.com/mcp", phase="Valid"),
        factories.secret("redis-auth", {"password": PASSWORD}),
        factories.secret("redis-ca", {"ca.pem": "cGVt"}),
        *extra,
    ]


def _embedding(name: str = "tei", *, status: Raw | None = None, port: int | None = None) -> Raw:
    obj: Raw = {
        "apiVersion": "toolhive.stacklok.dev/v1beta1",
        "kind": "EmbeddingServer",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"model": "BAAI/bge-small-en-v1.5", **({"port": port} if port else {})},
    }
    if status is not None:
        obj["status"] = status
    return obj


def _refused(**settings: Any) -> str:
    with pytest.raises(ArgsError) as caught:
        parse_args({"namespace": NS, "group": "engineering", **settings})
    return str(caught.value)


# ─── sessionStorage ───


def test_redis_storage_is_written_as_the_operator_writes_it_and_the_password_is_a_secret_ref() -> (
    None
):
    rendering = render_checked(factories.inventory(*_objects()), sessionStorage=REDIS)
    assert config_of(rendering)["sessionStorage"] == {
        "provider": "redis",
        "address": "redis.cache.svc:6379",
        "db": 3,
        "keyPrefix": "vmcp:",
        "tls": {"caCertFile": "/etc/toolhive/session-redis-tls/ca.crt"},
    }
    assert env_by_name(rendering)["THV_SESSION_REDIS_PASSWORD"] == {
        "name": "THV_SESSION_REDIS_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "redis-auth", "key": "password"}},
    }
    pod = rendering.object("Deployment")["spec"]["template"]["spec"]
    assert pod["volumes"][-1] == {
        "name": "session-redis-tls-ca",
        "secret": {
            "secretName": "redis-ca",
            "items": [{"key": "ca.pem", "path": "ca.crt"}],
            "defaultMode": 0o400,
        },
    }
    assert container_of(rendering)["volumeMounts"][-1] == {
        "name": "session-redis-tls-ca",
        "mountPath": "/etc/toolhive/session-redis-tls/ca.crt",
        "subPath": "ca.crt",
        "readOnly": True,
    }
    everything = dump(list(rendering.objects)) + json.dumps(rendering.status)
    assert PASSWORD not in everything
    assert "cGVt" not in everything


def test_memory_storage_and_defaults_write_what_the_operator_writes() -> None:
    memory = render_checked(factories.inventory(*_objects()), sessionStorage={"provider": "memory"})
    assert "sessionStorage" not in config_of(memory)  # the operator writes redis only
    plain = render_checked(
        factories.inventory(*_objects()),
        sessionStorage={"provider": "redis", "address": "r:6379", "tls": {}},
    )
    assert config_of(plain)["sessionStorage"] == {
        "provider": "redis",
        "address": "r:6379",
        "tls": {},
    }
    assert "THV_SESSION_REDIS_PASSWORD" not in env_by_name(plain)


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ({"provider": "redis"}, "address is required: set address (host:port) for provider redis"),
        (
            {"provider": "memory", "tls": {}},
            "tls is only supported when provider is redis: remove tls or use provider redis",
        ),
        (
            {"provider": "redis", "address": "r:1", "tls": {"insecureSkipVerify": True,
             "caCertSecretRef": {"name": "c", "key": "k"}}},
            "tls.insecureSkipVerify disables certificate verification, so tls.caCertSecretRef "
            "would be ignored; set only one",
        ),
        (
            {"provider": "redis", "address": "r:1", "tls": {"caCertSecretRef": {"name": "c",
             "key": ""}}},
            "tls.caCertSecretRef requires a non-empty name and key: name the Secret and its key",
        ),
        ({"provider": "disk"}, "sessionStorage.provider"),
        ({"provider": "redis", "address": "r:1", "db": -1}, "sessionStorage.db"),
        ({"provider": "redis", "address": ""}, "sessionStorage.address"),
        ({"provider": "redis", "address": "r:1", "password": "x"}, "sessionStorage.password"),
    ],
)  # fmt: skip
def test_session_storage_breaking_a_crd_rule_is_refused_with_its_words(
    storage: Raw, message: str
) -> None:
    assert message in _refused(sessionStorage=storage)


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        (
            [factories.secret("redis-ca", {"ca.pem": "cGVt"})],
            'sessionStorage.passwordRef: Secret "redis-auth" referenced for '
            f'sessionStorage.passwordRef not found in namespace "{NS}"; create it there, or '
            "reference an existing Secret",
        ),
        (
            [factories.secret("redis-auth", {"pw": "eA=="}),
             factories.secret("redis-ca", {"ca.pem": "cGVt"})],
            'sessionStorage.passwordRef: Secret "redis-auth" has no key "password" referenced '
            "for sessionStorage.passwordRef",
        ),
    ],
)  # fmt: skip
def test_a_missing_redis_secret_or_key_fails_the_run_naming_the_fix(
    secrets: list[Raw], message: str
) -> None:
    objects = [factories.group(), factories.entry("alpha", phase="Valid"), *secrets]
    with pytest.raises(VmcpError) as caught:
        render_checked(factories.inventory(*objects), sessionStorage=REDIS)
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_the_redis_secrets_are_planned_by_key_name_only() -> None:
    args = factories.args(sessionStorage=REDIS)
    references = incoming_references(args)
    assert references.secrets == ("redis-auth", "redis-ca")
    plan = plan_reads(factories.inventory(*_objects()), "engineering", None, (), references)
    assert plan.secret_keys == {
        "redis-auth": frozenset({"password"}),
        "redis-ca": frozenset({"ca.pem"}),
    }
    assert ("Secret", "redis-auth") not in plan.read_names()  # never a get-call: no values


# ─── rateLimiting ───


def test_rate_limits_are_written_as_the_operators_yaml_v3_writes_them() -> None:
    limits = {
        "shared": {"maxTokens": 100, "refillPeriod": "1m"},
        "tools": [{"name": "search", "shared": {"maxTokens": 5, "refillPeriod": "1500ms"}}],
    }
    rendering = render_checked(
        factories.inventory(*_objects()), sessionStorage=REDIS, rateLimiting=limits
    )
    assert config_of(rendering)["rateLimiting"] == {
        "shared": {"maxTokens": 100, "refillPeriod": {"duration": "1m0s"}},
        "tools": [
            {"name": "search", "shared": {"maxTokens": 5, "refillPeriod": {"duration": "1.5s"}}}
        ],
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"rateLimiting": {"shared": BUCKET}},
            "config.rateLimiting requires sessionStorage with provider 'redis': set sessionStorage "
            "(provider: redis, address) so every replica shares the buckets, or remove "
            "rateLimiting",
        ),
        (
            {"rateLimiting": {"shared": BUCKET}, "sessionStorage": {"provider": "memory"}},
            "config.rateLimiting requires sessionStorage with provider 'redis'",
        ),
        (
            {"rateLimiting": {"perUser": BUCKET}, "sessionStorage": REDIS},
            "config.rateLimiting.perUser requires incomingAuth.type oidc: per-user buckets need "
            "an authenticated user; use shared, or set up OIDC incoming auth",
        ),
        (
            {"rateLimiting": {"tools": [{"name": "t", "perUser": BUCKET}]},
             "sessionStorage": REDIS},
            "per-tool perUser rate limiting requires incomingAuth.type oidc: use shared in "
            "rateLimiting.tools, or set up OIDC incoming auth",
        ),
        (
            {"rateLimiting": {}, "sessionStorage": REDIS},
            "at least one of shared, perUser, or tools must be configured; add a shared bucket "
            "(maxTokens, refillPeriod) or remove rateLimiting",
        ),
        (
            {"rateLimiting": {"tools": [{"name": "t"}]}, "sessionStorage": REDIS},
            "tools[t]: at least one of shared or perUser must be configured",
        ),
        (
            {"rateLimiting": {"shared": {"maxTokens": 0, "refillPeriod": "1s"}},
             "sessionStorage": REDIS},
            "rateLimiting.shared.maxTokens",
        ),
        (
            {"rateLimiting": {"shared": {"maxTokens": 1, "refillPeriod": "0s"}},
             "sessionStorage": REDIS},
            "shared.refillPeriod must be positive, got 0s; write e.g. 1m0s",
        ),
        (
            {"rateLimiting": {"shared": {"maxTokens": 1, "refillPeriod": "soon"}},
             "sessionStorage": REDIS},
            "invalid duration",
        ),
        (
            {"rateLimiting": {"tools": [{"name": "t", "shared": BUCKET},
                                        {"name": "t", "shared": BUCKET}]},
             "sessionStorage": REDIS},
            "tools: t listed twice (the list is keyed by name); merge the entries",
        ),
        (
            {"rateLimiting": {"global": BUCKET}, "sessionStorage": REDIS},
            "unknown field 'global'",
        ),
    ],
)  # fmt: skip
def test_rate_limiting_breaking_a_rule_is_refused_with_its_words(
    settings: Raw, message: str
) -> None:
    assert message in _refused(**settings)


def test_per_user_limits_are_accepted_under_oidc() -> None:
    args = parse_args(
        {
            "namespace": NS,
            "group": "engineering",
            "incomingAuth": OIDC,
            "sessionStorage": REDIS,
            "rateLimiting": {"perUser": BUCKET, "tools": [{"name": "t", "perUser": BUCKET}]},
        }
    )
    assert args.rate_limiting is not None
    assert args.rate_limiting.for_config()["perUser"]["refillPeriod"] == {"duration": "1m0s"}


# ─── optimizer and embeddingServerRef ───


def test_an_embedding_server_ref_becomes_the_optimizers_embedding_service() -> None:
    ready = {"phase": "Ready", "url": "http://tei.team.svc.cluster.local:9000", "readyReplicas": 1}
    inventory = factories.inventory(*_objects(_embedding(status=ready)))
    rendering = render_checked(
        inventory, optimizer={"maxToolsToReturn": 5}, embeddingServerRef={"name": "tei"}
    )
    assert config_of(rendering)["optimizer"] == {
        "embeddingService": "http://tei.team.svc.cluster.local:9000",
        "embeddingServiceTimeout": "30s",
        "embeddingProvider": "tei",
        "maxToolsToReturn": 5,
    }
    assert not rendering.warnings
    # a ref without optimizer: the operator's Validate makes an empty one (no CRD defaults)
    only_ref = render_checked(
        factories.inventory(*_objects(_embedding(port=8443))), embeddingServerRef={"name": "tei"}
    )
    assert config_of(only_ref)["optimizer"] == {
        "embeddingService": f"http://tei.{NS}.svc.cluster.local:8443"
    }


def test_the_embedding_server_is_planned_and_read_with_a_get_call() -> None:
    args = factories.args(embeddingServerRef={"name": "tei"})
    references = incoming_references(args)
    assert references.embedding_servers == ("tei",)
    plan = plan_reads(
        factories.inventory(*_objects(_embedding())), "engineering", None, (), references
    )
    assert ("EmbeddingServer", "tei") in plan.read_names()


def test_a_missing_failed_or_unready_embedding_server_is_said() -> None:
    with pytest.raises(VmcpError) as caught:
        render_checked(factories.inventory(*_objects()), embeddingServerRef={"name": "tei"})
    assert str(caught.value) == (
        f'embeddingServerRef: EmbeddingServer "tei" not found in namespace "{NS}"; create it '
        "there or change embeddingServerRef.name"
    )
    failed = _embedding(status={"phase": "Failed", "message": "image pull"})
    with pytest.raises(VmcpError) as caught:
        render_checked(factories.inventory(*_objects(failed)), embeddingServerRef={"name": "tei"})
    assert str(caught.value) == (
        "embeddingServerRef: EmbeddingServer tei has failed (image pull); fix it (kubectl "
        "describe embeddingserver) or reference another one"
    )
    pending = _embedding(status={"phase": "Downloading"})
    rendering = render_checked(
        factories.inventory(*_objects(pending)), embeddingServerRef={"name": "tei"}
    )
    assert rendering.warnings == (
        'embeddingServerRef: EmbeddingServer "tei" is Downloading, not Ready: the optimizer '
        "cannot embed until it is (the operator waits for it before deploying)",
    )


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"optimizer": {}},
            "spec.config.optimizer requires an embedding service: set spec.embeddingServerRef "
            "(recommended) or spec.config.optimizer.embeddingService",
        ),
        (
            {"optimizer": {"embeddingProvider": "openai", "embeddingService": "https://e",
                           "embeddingModel": "m"}, "embeddingServerRef": {"name": "tei"}},
            "embeddingServerRef provisions a managed TEI server and cannot be combined with "
            "optimizer.embeddingProvider 'openai'; openai mode uses embeddingService directly",
        ),
        ({"embeddingServerRef": {"name": ""}}, "spec.embeddingServerRef.name is required"),
        (
            {"optimizer": {"embeddingService": "http://e", "embeddingHeaders": {"X-A": "1"}}},
            "embeddingHeaders is only supported when embeddingProvider is 'openai'; remove "
            "embeddingHeaders or set embeddingProvider: openai",
        ),
        (
            {"optimizer": {"embeddingService": "http://e", "embeddingProvider": "openai",
                           "embeddingModel": "m", "embeddingHeaders": {"Authorization": "x"}}},
            "embeddingHeaders names must be valid HTTP header names and must not include "
            "Authorization or Content-Type",
        ),
        (
            {"optimizer": {"embeddingService": "http://e", "embeddingProvider": "openai"}},
            'optimizer.embeddingModel is required when optimizer.embeddingProvider is "openai"',
        ),
        (
            {"optimizer": {"embeddingService": "http://e", "hybridSearchSemanticRatio": "1.5"}},
            "optimizer.hybridSearchSemanticRatio must be between 0.0 and 1.0, got 1.5",
        ),
        (
            {"optimizer": {"embeddingService": "http://e", "semanticDistanceThreshold": "-1"}},
            "semanticDistanceThreshold '-1' must match ^([0-9]*[.])?[0-9]+$",
        ),
        ({"optimizer": {"embeddingService": "http://e", "maxToolsToReturn": 51}},
         "maxToolsToReturn"),
        ({"optimizer": {"embeddingService": "http://e", "embeddingProvider": "vllm"}},
         "embeddingProvider"),
        ({"optimizer": {"embeddingService": "http://e", "embeddingServiceTimeout": "-1s"}},
         "does not match the CRD's duration pattern"),
    ],
)  # fmt: skip
def test_optimizer_breaking_a_rule_is_refused_with_its_words(settings: Raw, message: str) -> None:
    assert message in _refused(**settings)


def test_an_optimizer_with_its_own_service_needs_no_embedding_server() -> None:
    rendering = render_checked(
        factories.inventory(*_objects()),
        optimizer={"embeddingService": "http://tei:8080", "embeddingServiceTimeout": "90s"},
    )
    assert config_of(rendering)["optimizer"] == {
        "embeddingService": "http://tei:8080",
        "embeddingServiceTimeout": "1m30s",  # as the operator's Duration prints it
        "embeddingProvider": "tei",
    }


def test_the_sections_are_deterministic_and_in_vmcps_order() -> None:
    settings: Raw = {
        "sessionStorage": REDIS,
        "rateLimiting": {"shared": BUCKET},
        "optimizer": {"embeddingService": "http://tei:8080"},
        "codeMode": {"enabled": True},
    }
    first = render_checked(factories.inventory(*_objects()), **settings)
    again = render_checked(factories.inventory(*reversed(_objects())), **settings)
    assert first.objects == again.objects
    keys = list(config_of(first))
    assert keys.index("optimizer") < keys.index("codeMode") < keys.index("sessionStorage")
    assert keys.index("sessionStorage") < keys.index("rateLimiting")
