"""The VirtualMCPServer CRD's `config.optimizer` and `embeddingServerRef`, typed; the spec rules.

`optimizer` is vmcp's `OptimizerConfig` (`pkg/vmcp/config/config.go`) with the CRD's enum,
defaults (`embeddingProvider: tei`, `embeddingServiceTimeout: 30s`, which the API server fills
before the operator reads the spec), patterns and CEL rules, and the checks vmcp makes when it
builds the optimizer (`optimizer.GetAndValidateConfig`), in vmcp's words. `embeddingServerRef`
names an EmbeddingServer in the namespace; `core.backends.vmcp_wide` reads it and writes its URL
as `optimizer.embeddingService`, as the operator does.

`spec_rules` checks the VirtualMCPServer spec's CEL rules that tie these sections and
`sessionStorage`/`rateLimiting` to each other and to `incomingAuth`, and the operator's
`validateEmbeddingServer`, in their words, each followed by the fix.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from vmcp_components.core.settings.base import SettingsModel
from vmcp_components.core.settings.composite_tools import Duration
from vmcp_components.core.settings.go_values import GoInt, GoString, format_duration, parse_duration
from vmcp_components.core.settings.session_storage import RateLimiting, SessionStorage
from vmcp_components.core.settings.vmcp_sections import VmcpSection, refuse

_FLOAT = re.compile(r"^([0-9]*[.])?[0-9]+$")  # the CRD's pattern for the two ratios
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE = re.compile(r"^[^\x00-\x08\x0A-\x1F\x7F]*$")


class EmbeddingServerRef(SettingsModel):
    """`spec.embeddingServerRef`: an EmbeddingServer (a managed TEI server) in the namespace."""

    name: str

    @model_validator(mode="after")
    def _named(self) -> EmbeddingServerRef:
        if not self.name:  # the operator's validateEmbeddingServer
            raise ValueError("spec.embeddingServerRef.name is required: name an EmbeddingServer")
        return self


class Optimizer(VmcpSection):
    """vmcp's `optimizer`: find_tool/call_tool over the tools, searched with embeddings."""

    go_type: ClassVar[str] = "config.OptimizerConfig"

    embedding_service: GoString | None = Field(default=None, alias="embeddingService")
    embedding_service_timeout: Duration = Field(default="30s", alias="embeddingServiceTimeout")
    embedding_provider: Literal["tei", "openai"] = Field(default="tei", alias="embeddingProvider")
    embedding_model: GoString | None = Field(default=None, alias="embeddingModel")
    embedding_headers: dict[str, GoString] | None = Field(
        default=None, alias="embeddingHeaders", max_length=32
    )
    max_tools_to_return: GoInt | None = Field(default=None, alias="maxToolsToReturn", ge=1, le=50)
    hybrid_search_semantic_ratio: GoString | None = Field(
        default=None, alias="hybridSearchSemanticRatio"
    )
    semantic_distance_threshold: GoString | None = Field(
        default=None, alias="semanticDistanceThreshold"
    )

    @model_validator(mode="after")
    def _rules(self) -> Optimizer:
        headers = self.embedding_headers or {}
        # the CRD's CEL rules on OptimizerConfig, then optimizer.GetAndValidateConfig's
        if headers and self.embedding_provider != "openai":
            raise refuse(
                "embeddingHeaders is only supported when embeddingProvider is 'openai'; "
                "remove embeddingHeaders or set embeddingProvider: openai"
            )
        for name, value in headers.items():
            if not _HEADER_NAME.match(name) or name.lower() in ("authorization", "content-type"):
                raise refuse(
                    "embeddingHeaders names must be valid HTTP header names and must not include "
                    f"Authorization or Content-Type (got {name!r}); the API key comes from "
                    "OPENAI_API_KEY"
                )
            if not 1 <= len(value) <= 8192 or not _HEADER_VALUE.match(value):
                raise refuse(
                    f"embeddingHeaders[{name!r}]: a value is 1 to 8192 characters with no "
                    "control characters other than tab"
                )
        if self.embedding_provider == "openai":
            for key, value in (
                ("embeddingService", self.embedding_service),
                ("embeddingModel", self.embedding_model),
            ):
                if not value:
                    raise refuse(
                        f'optimizer.{key} is required when optimizer.embeddingProvider is "openai"'
                    )
        for key, value, top in (
            ("hybridSearchSemanticRatio", self.hybrid_search_semantic_ratio, 1),
            ("semanticDistanceThreshold", self.semantic_distance_threshold, 2),
        ):
            if value is None:
                continue
            if not _FLOAT.match(value):
                raise refuse(
                    f"{key} {value!r} must match ^([0-9]*[.])?[0-9]+$ (a plain decimal, quoted)"
                )
            if float(value) > top:
                raise refuse(f"optimizer.{key} must be between 0.0 and {top}.0, got {value}")
        return self

    def for_config(self, embedding_service: str | None) -> dict[str, Any]:
        """The section as the operator writes it: CRD defaults filled, durations as Go prints.

        `embedding_service` (the EmbeddingServer's URL) replaces `embeddingService`, as the
        operator's `populateOptimizerFromRef` does.
        """
        timeout = format_duration(parse_duration(self.embedding_service_timeout))
        document: dict[str, Any] = {
            "embeddingService": embedding_service or self.embedding_service,
            "embeddingServiceTimeout": None if timeout == "0s" else timeout,
            "embeddingProvider": self.embedding_provider,
            "embeddingModel": self.embedding_model,
            "embeddingHeaders": dict(sorted(self.embedding_headers.items()))
            if self.embedding_headers
            else None,
            "maxToolsToReturn": self.max_tools_to_return,
            "hybridSearchSemanticRatio": self.hybrid_search_semantic_ratio,
            "semanticDistanceThreshold": self.semantic_distance_threshold,
        }
        return {key: value for key, value in document.items() if value}


def spec_rules(
    *,
    session_storage: SessionStorage | None,
    rate_limiting: RateLimiting | None,
    incoming_type: str,
    optimizer: Optimizer | None,
    embedding_server_ref: EmbeddingServerRef | None,
) -> None:
    """The VirtualMCPServer spec's CEL rules over these sections (ValueError: the words + fix)."""
    if rate_limiting is not None:
        if session_storage is None or session_storage.provider != "redis":
            raise ValueError(
                "config.rateLimiting requires sessionStorage with provider 'redis': set "
                "sessionStorage (provider: redis, address) so every replica shares the buckets, "
                "or remove rateLimiting"
            )
        oidc = incoming_type == "oidc"
        if rate_limiting.per_user is not None and not oidc:
            raise ValueError(
                "config.rateLimiting.perUser requires incomingAuth.type oidc: per-user buckets "
                "need an authenticated user; use shared, or set up OIDC incoming auth"
            )
        if any(tool.per_user is not None for tool in rate_limiting.tools or []) and not oidc:
            raise ValueError(
                "per-tool perUser rate limiting requires incomingAuth.type oidc: use shared in "
                "rateLimiting.tools, or set up OIDC incoming auth"
            )
    if (
        embedding_server_ref is not None
        and optimizer is not None
        and optimizer.embedding_provider == "openai"
    ):
        raise ValueError(
            "embeddingServerRef provisions a managed TEI server and cannot be combined with "
            "optimizer.embeddingProvider 'openai'; openai mode uses embeddingService directly"
        )
    if optimizer is not None and embedding_server_ref is None and not optimizer.embedding_service:
        raise ValueError(
            "spec.config.optimizer requires an embedding service: set spec.embeddingServerRef "
            "(recommended) or spec.config.optimizer.embeddingService"
        )
