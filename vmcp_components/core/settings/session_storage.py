"""The VirtualMCPServer CRD's `sessionStorage` (Redis) and `config.rateLimiting`, typed.

`sessionStorage` is the v0.63.0 CRD's `SessionStorageConfig` (`mcpserver_types.go`) with its four
CEL rules; `rateLimiting` is vmcp's `ratelimittypes.RateLimitConfig` with the CRD's minimums and
CEL rules and the limiter's own check (`refillPeriod must be positive`). `spec_rules` holds the
CEL rules of the VirtualMCPServer spec that tie them to `incomingAuth` (and the optimizer's to
`embeddingServerRef`), in the CRD's words, each followed by the fix.

The operator writes `sessionStorage` into config.yaml only for provider `redis` (address, db,
keyPrefix, tls) and hands the password to the pod as `THV_SESSION_REDIS_PASSWORD` from the
Secret key; `core.backends.vmcp_wide` does the same here. `rateLimiting` passes through as the
operator's yaml.v3 writes it: a `refillPeriod` is a `metav1.Duration`, which yaml.v3 encodes as
`{duration: <Go duration>}`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from vmcp_components.core.settings.base import SettingsModel
from vmcp_components.core.settings.go_values import (
    GoDuration,
    GoInt,
    GoString,
    format_duration,
    parse_duration,
)
from vmcp_components.core.settings.vmcp_sections import VmcpSection, refuse

_INT32_MAX = (1 << 31) - 1


class SecretKeyReference(SettingsModel):
    """A key of a Secret in the namespace (`passwordRef`, `caCertSecretRef`): a name, no value."""

    name: str
    key: str


class RedisTLS(SettingsModel):
    """`sessionStorage.tls`: TLS to Redis; `{}` verifies against the system roots."""

    ca_cert_secret_ref: SecretKeyReference | None = Field(default=None, alias="caCertSecretRef")
    """A Secret key holding the CA bundle, mounted at /etc/toolhive/session-redis-tls/ca.crt."""
    insecure_skip_verify: bool | None = Field(default=None, alias="insecureSkipVerify")


class SessionStorage(SettingsModel):
    """`spec.sessionStorage`: where vMCP keeps sessions (`memory`, or `redis` for replicas)."""

    provider: Literal["memory", "redis"]
    address: str | None = Field(default=None, min_length=1)
    db: int = Field(default=0, ge=0, le=_INT32_MAX)
    key_prefix: str | None = Field(default=None, alias="keyPrefix")
    password_ref: SecretKeyReference | None = Field(default=None, alias="passwordRef")
    """The Secret key holding the Redis password: on the pod as an env var, never in config."""
    tls: RedisTLS | None = None

    @model_validator(mode="after")
    def _crd_rules(self) -> SessionStorage:
        # the CRD's CEL rules on SessionStorageConfig, in its words and order, then the fix
        if self.provider == "redis" and self.address is None:
            raise ValueError("address is required: set address (host:port) for provider redis")
        if self.tls is not None and self.provider != "redis":
            raise ValueError(
                "tls is only supported when provider is redis: remove tls or use provider redis"
            )
        tls = self.tls
        if tls is not None and tls.ca_cert_secret_ref is not None and tls.insecure_skip_verify:
            raise ValueError(
                "tls.insecureSkipVerify disables certificate verification, so "
                "tls.caCertSecretRef would be ignored; set only one"
            )
        ref = tls.ca_cert_secret_ref if tls is not None else None
        if ref is not None and not (ref.name and ref.key):
            raise ValueError(
                "tls.caCertSecretRef requires a non-empty name and key: name the Secret and its key"
            )
        return self

    def for_config(self) -> dict[str, Any] | None:
        """config.yaml's `sessionStorage` as the operator writes it (redis only; no password)."""
        if self.provider != "redis":
            return None
        document: dict[str, Any] = {"provider": "redis", "address": self.address}
        if self.db:
            document["db"] = self.db
        if self.key_prefix:
            document["keyPrefix"] = self.key_prefix
        if self.tls is not None:
            tls: dict[str, Any] = {}
            if self.tls.insecure_skip_verify:
                tls["insecureSkipVerify"] = True
            if self.tls.ca_cert_secret_ref is not None:
                tls["caCertFile"] = f"{SESSION_REDIS_CA_DIR}/{SESSION_REDIS_CA_FILE}"
            document["tls"] = tls
        return document


SESSION_REDIS_CA_DIR = "/etc/toolhive/session-redis-tls"
SESSION_REDIS_CA_FILE = "ca.crt"


def _positive(bucket: RateLimitBucket, where: str) -> None:
    if parse_duration(bucket.refill_period) <= 0:
        raise refuse(
            f"{where}.refillPeriod must be positive, got "
            f"{format_duration(parse_duration(bucket.refill_period))}; write e.g. 1m0s"
        )


class RateLimitBucket(VmcpSection):
    """A token bucket: `maxTokens` (the burst) refilled over `refillPeriod`."""

    go_type: ClassVar[str] = "types.RateLimitBucket"

    max_tokens: GoInt = Field(alias="maxTokens", ge=1, le=_INT32_MAX)
    refill_period: GoDuration = Field(alias="refillPeriod")

    def for_config(self) -> dict[str, Any]:
        """As the operator's yaml.v3 writes a metav1.Duration: `{duration: 1m0s}`."""
        period = format_duration(parse_duration(self.refill_period))
        return {"maxTokens": self.max_tokens, "refillPeriod": {"duration": period}}


class ToolRateLimit(VmcpSection):
    """Limits for one tool (`rateLimiting.tools[]`), on top of the server-level ones."""

    go_type: ClassVar[str] = "types.ToolRateLimitConfig"

    name: GoString = Field(min_length=1)
    shared: RateLimitBucket | None = None
    per_user: RateLimitBucket | None = Field(default=None, alias="perUser")

    @model_validator(mode="after")
    def _one_bucket(self) -> ToolRateLimit:
        if self.shared is None and self.per_user is None:
            raise refuse(
                f"tools[{self.name}]: at least one of shared or perUser must be configured"
            )
        for key, bucket in (("shared", self.shared), ("perUser", self.per_user)):
            if bucket is not None:
                _positive(bucket, f"tools[{self.name}].{key}")
        return self


class RateLimiting(VmcpSection):
    """vmcp's `rateLimiting`: shared and per-user buckets, per-tool overrides (needs Redis)."""

    go_type: ClassVar[str] = "types.RateLimitConfig"

    shared: RateLimitBucket | None = None
    per_user: RateLimitBucket | None = Field(default=None, alias="perUser")
    tools: list[ToolRateLimit] | None = None

    @model_validator(mode="after")
    def _crd_rules(self) -> RateLimiting:
        if self.shared is None and self.per_user is None and not self.tools:
            raise refuse(
                "at least one of shared, perUser, or tools must be configured; add a shared "
                "bucket (maxTokens, refillPeriod) or remove rateLimiting"
            )
        for key, bucket in (("shared", self.shared), ("perUser", self.per_user)):
            if bucket is not None:
                _positive(bucket, key)
        names = [tool.name for tool in self.tools or []]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise refuse(
                f"tools: {', '.join(duplicates)} listed twice (the list is keyed by name); "
                "merge the entries"
            )
        return self

    def for_config(self) -> dict[str, Any]:
        """The section as the operator writes it (Go field order, unset buckets left out)."""
        document: dict[str, Any] = {}
        if self.shared is not None:
            document["shared"] = self.shared.for_config()
        if self.per_user is not None:
            document["perUser"] = self.per_user.for_config()
        if self.tools:
            document["tools"] = [
                {
                    "name": tool.name,
                    **({"shared": tool.shared.for_config()} if tool.shared else {}),
                    **({"perUser": tool.per_user.for_config()} if tool.per_user else {}),
                }
                for tool in self.tools
            ]
        return document
