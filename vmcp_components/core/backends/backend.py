"""What a vMCP backend is: the data derivation produces and the manifests consume.

`Backend` is one item of `config.yaml`'s `backends` with what the Deployment needs to reach it
(a CA bundle volume, auth and header env vars); `GroupBackends` is the outcome for a group.
How members become backends lives in `membership`, `checks`, `conversion` and `derivation`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vmcp_components.core import naming
from vmcp_components.core.backends.auth import AuthStrategy, SecretEnv
from vmcp_components.core.cluster.kinds import MCP_SERVER_ENTRY
from vmcp_components.errors import MemberWarning, Skipped

# Go's json.Marshal (which the operator uses) writes UTF-8 as is and escapes these.
_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@dataclass(frozen=True)
class CABundle:
    """A CA ConfigMap key mounted for one entry; the file lands exactly at `path`."""

    entry: str
    config_map: str
    key: str

    @property
    def path(self) -> str:
        """The CA file as vMCP opens it (`caBundlePath`)."""
        return naming.ca_bundle_path(self.entry, self.key)

    @property
    def mount_dir(self) -> str:
        """Where the volume is mounted."""
        return naming.ca_bundle_dir(self.entry)

    @property
    def volume_name(self) -> str:
        """The pod volume's name."""
        return naming.ca_bundle_volume_name(self.entry)


@dataclass(frozen=True)
class HeaderForward:
    """An entry's header injection: literal headers, and headers whose values come from Secrets."""

    entry: str
    plaintext: Mapping[str, str]
    from_secret: tuple[tuple[str, str, str], ...]  # (header, secret, key), sorted by header

    def manifest_env(self) -> tuple[str, str] | None:
        """(name, JSON) of the literal env var telling vMCP which headers to add, or None."""
        manifest: dict[str, dict[str, str]] = {}
        if self.plaintext:
            manifest["addPlaintextHeaders"] = dict(sorted(self.plaintext.items()))
        if self.from_secret:
            manifest["addHeadersFromSecret"] = {
                header: naming.header_forward_identifier(header, self.entry)
                for header, _, _ in self.from_secret
            }
        if not manifest:
            return None
        text = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False)
        return naming.header_forward_manifest_env(self.entry), text.translate(_GO_JSON_ESCAPES)

    def secret_env(self) -> tuple[SecretEnv, ...]:
        """The `secretKeyRef` env vars holding the values of the headers from Secrets."""
        return tuple(
            SecretEnv(naming.header_forward_secret_env(header, self.entry), secret, key)
            for header, secret, key in self.from_secret
        )


@dataclass(frozen=True)
class Backend:
    """One backend written to `config.yaml`, with what the Deployment needs to reach it."""

    name: str
    kind: str
    type: str
    """`entry`, `container` or `proxy`: the member kind's `backend_type`."""
    url: str
    transport: str
    metadata: Mapping[str, str]
    status: str
    message: str
    ca_bundle: CABundle | None = None
    auth: AuthStrategy | None = None
    header_forward: HeaderForward | None = None

    def static_config(self) -> dict[str, Any]:
        """The `backends[]` item, keys in vMCP's declaration order; `type: entry` for entries."""
        item: dict[str, Any] = {"name": self.name, "url": self.url, "transport": self.transport}
        if self.type == MCP_SERVER_ENTRY.backend_type:
            item["type"] = "entry"  # vmcp's static type for an MCPServerEntry backend
        if self.ca_bundle is not None:
            item["caBundlePath"] = self.ca_bundle.path
        item["metadata"] = dict(self.metadata)
        return item

    def literal_env(self) -> tuple[tuple[str, str], ...]:
        """(name, value) of the literal env vars this backend needs on the pod."""
        manifest = self.header_forward.manifest_env() if self.header_forward else None
        return (manifest,) if manifest else ()

    def secret_env(self) -> tuple[SecretEnv, ...]:
        """The `secretKeyRef` env vars this backend needs: auth secrets, then header secrets."""
        auth_env = self.auth.secret_env if self.auth else ()
        header_env = self.header_forward.secret_env() if self.header_forward else ()
        return auth_env + header_env


@dataclass(frozen=True)
class GroupBackends:
    """The outcome of derivation for one group: backends, skips and warnings, sorted by name."""

    group: str
    backends: tuple[Backend, ...]
    skipped: tuple[Skipped, ...] = field(default=())
    warnings: tuple[MemberWarning, ...] = field(default=())
