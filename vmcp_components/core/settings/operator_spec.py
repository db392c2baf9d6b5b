"""More of the operator's VirtualMCPServer v0.63.0 spec: audit, codeMode, passthroughHeaders, ...

Here: `audit`, `codeMode`, `passthroughHeaders` and `podTemplateSpec` (`metadata` and
`sessionAffinity` are plain fields of the arguments; `compositeTools` is `composite_tools`).

Each is the CRD field of the same name (`spec.X` or `spec.config.X`), typed and checked like the
CRD (its enums, minimums and patterns) and like vmcp checks the config. Where the API server
fills CRD defaults before the operator reads the spec, the config written here carries the same
defaults, so config.yaml equals the operator's for the same spec.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, cast

from pydantic import AfterValidator, Field, model_validator

from vmcp_components.core.settings.composite_tools import Duration
from vmcp_components.core.settings.go_values import GoBool, GoInt, GoString
from vmcp_components.core.settings.vmcp_sections import VmcpSection, refuse

# pkg/transport/middleware/header_forward.go RestrictedHeaders, plus vmcp's own two
# (validator.go vmcpRestrictedHeaders): never forwarded from the caller.
RESTRICTED_HEADERS = frozenset(
    {
        "Host",
        "Connection",
        "Keep-Alive",
        "Te",
        "Trailer",
        "Upgrade",
        "Http2-Settings",
        "Close",
        "Proxy-Authorization",
        "Proxy-Authenticate",
        "Proxy-Connection",
        "Transfer-Encoding",
        "Content-Length",
        "Forwarded",
        "X-Forwarded-For",
        "X-Forwarded-Host",
        "X-Forwarded-Proto",
        "X-Real-Ip",
        "Authorization",
        "Cookie",
    }
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 7230 token, as httpguts checks


def canonical_header(name: str) -> str:
    """Go's `http.CanonicalHeaderKey` for a valid token (`x-api-key` -> `X-Api-Key`)."""
    if not _TOKEN.match(name):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _passthrough_headers(headers: list[str] | None) -> list[str] | None:
    """`validatePassthroughHeaders`, in vmcp's order and words, then the fix."""
    for index, name in enumerate(headers or []):
        where = f"passthroughHeaders[{index}]"
        if not name:
            raise refuse(f"{where}: header name must not be empty; remove the empty entry")
        canonical = canonical_header(name)
        if canonical in RESTRICTED_HEADERS:
            raise refuse(
                f'{where}: "{canonical}" is a restricted header and cannot be forwarded; remove '
                "it (credentials and hop-by-hop headers never pass through vMCP)"
            )
        if not _TOKEN.match(name):
            raise refuse(
                f'{where}: invalid header name "{name}": use letters, digits and '
                "!#$%&'*+-.^_`|~ only"
            )
    if headers is not None and len({canonical_header(h) for h in headers}) != len(headers):
        raise refuse("passthroughHeaders lists a header twice")
    return headers


PassthroughHeaders = Annotated[list[GoString] | None, AfterValidator(_passthrough_headers)]
"""Caller headers vmcp forwards to every backend (`spec.passthroughHeaders`)."""


class Audit(VmcpSection):
    """vmcp's `audit` (audit.Config): written only when `enabled`, as the operator does."""

    go_type: ClassVar[str] = "audit.Config"

    enabled: GoBool = False
    component: GoString | None = None
    event_types: list[GoString] | None = Field(default=None, alias="eventTypes")
    exclude_event_types: list[GoString] | None = Field(default=None, alias="excludeEventTypes")
    include_request_data: GoBool = Field(default=False, alias="includeRequestData")
    include_response_data: GoBool = Field(default=False, alias="includeResponseData")
    detect_application_errors: GoBool = Field(default=True, alias="detectApplicationErrors")
    max_data_size: GoInt = Field(default=1024, alias="maxDataSize")
    max_delegation_depth: GoInt = Field(default=10, alias="maxDelegationDepth", ge=1)
    log_file: GoString | None = Field(default=None, alias="logFile")

    def for_config(self, name: str) -> dict[str, Any] | None:
        """The section as the operator writes it, or None unless enabled.

        `component` defaults to the vMCP's name; false and zero fields are left out (omitempty).
        """
        if not self.enabled:
            return None
        document: dict[str, Any] = {"enabled": True, "component": self.component or name}
        for key, value in (
            ("eventTypes", self.event_types),
            ("excludeEventTypes", self.exclude_event_types),
            ("includeRequestData", self.include_request_data),
            ("includeResponseData", self.include_response_data),
            ("detectApplicationErrors", self.detect_application_errors),
            ("maxDataSize", self.max_data_size),
            ("maxDelegationDepth", self.max_delegation_depth),
            ("logFile", self.log_file),
        ):
            if value or key in ("detectApplicationErrors", "maxDelegationDepth"):
                document[key] = value
        return document


class CodeMode(VmcpSection):
    """vmcp's `codeMode` (CodeModeConfig): a scripting tool over the aggregated tools."""

    go_type: ClassVar[str] = "config.CodeModeConfig"

    enabled: GoBool = False
    step_limit: GoInt = Field(default=100_000, alias="stepLimit", ge=1)
    parallel_max_concurrency: GoInt = Field(default=10, alias="parallelMaxConcurrency", ge=1)
    tool_call_timeout: Duration = Field(default="30s", alias="toolCallTimeout")

    def for_config(self) -> dict[str, Any]:
        """The CRD defaults filled in, `enabled: false` left out (Go's omitempty)."""
        document: dict[str, Any] = {"enabled": True} if self.enabled else {}
        document.update(
            stepLimit=self.step_limit,
            parallelMaxConcurrency=self.parallel_max_concurrency,
            toolCallTimeout=self.tool_call_timeout,
        )
        return document


class PodTemplateSpec(VmcpSection):
    """`spec.podTemplateSpec`: a pod template patch, strategic-merged onto the generated one."""

    go_type: ClassVar[str] = "v1.PodTemplateSpec"

    metadata: dict[str, Any] | None = None
    spec: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _containers_named(self) -> PodTemplateSpec:
        for key in ("containers", "initContainers"):
            containers = cast("list[object]", (self.spec or {}).get(key) or [])
            for index, container in enumerate(containers):
                if not isinstance(container, dict) or not cast("dict[str, Any]", container).get(
                    "name"
                ):
                    raise refuse(
                        f"spec.{key}[{index}] needs a name: containers merge by name (name the "
                        "vMCP container 'vmcp' to change it)"
                    )
        return self
