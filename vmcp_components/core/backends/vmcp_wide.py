"""`sessionStorage`, `rateLimiting` and `optimizer` as the operator writes them, Secrets by name.

config.yaml gets `optimizer`, `sessionStorage` and `rateLimiting` exactly as ToolHive v0.63.0's
converter fills them (`cmd/thv-operator/pkg/vmcpconfig/converter.go` `convertSessionStorage`,
`controllers/virtualmcpserver_vmcpconfig.go` `populateOptimizerEmbeddingService`). The Redis
password reaches the pod only as `THV_SESSION_REDIS_PASSWORD` (a `secretKeyRef`), the Redis CA as
the Secret volume `session-redis-tls-ca` at `/etc/toolhive/session-redis-tls/ca.crt`
(`controllerutil/session_redis_tls.go`). The operator does not look the Secrets up; here they
must exist and hold the key (key names only, as for every Secret), so a typo fails the run
instead of a pod stuck in CreateContainerConfigError. The EmbeddingServer named by
`embeddingServerRef` is read like the OIDC and authz configs: it must exist and not be `Failed`
(the operator's `EmbeddingServer <name> has failed`); its `status.url` (or the operator's URL for
its name and port) becomes `optimizer.embeddingService`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmcp_components.core.backends.auth import SecretEnv
from vmcp_components.core.cluster.inventory import Inventory
from vmcp_components.core.cluster.kinds import EMBEDDING_READY_PHASE, EMBEDDING_SERVER, FAILED_PHASE
from vmcp_components.core.cluster.models import Malformed
from vmcp_components.core.cluster.references import SecretKeyUse, missing_secret_key
from vmcp_components.core.settings.args import VirtualMCPServerArgs
from vmcp_components.core.settings.session_storage import (
    SESSION_REDIS_CA_DIR,
    SESSION_REDIS_CA_FILE,
)
from vmcp_components.errors import VmcpError

REDIS_PASSWORD_ENV = "THV_SESSION_REDIS_PASSWORD"  # noqa: S105 (an env var name)
SESSION_REDIS_CA_VOLUME = "session-redis-tls-ca"


class VmcpWideError(VmcpError):
    """A Secret or EmbeddingServer the vMCP-wide settings name is missing or unusable."""


@dataclass(frozen=True)
class SecretFileVolume:
    """One Secret key mounted read-only (mode 0400) as the file `<mount_dir>/<file_name>`."""

    volume_name: str
    secret: str
    key: str
    mount_dir: str
    file_name: str


@dataclass(frozen=True)
class VmcpWide:
    """config.yaml's `optimizer`, `sessionStorage`, `rateLimiting`, and what the pod needs."""

    sections: dict[str, Any]
    secret_env: tuple[SecretEnv, ...] = ()
    secret_files: tuple[SecretFileVolume, ...] = ()
    warnings: tuple[str, ...] = ()


def session_secret_uses(args: VirtualMCPServerArgs) -> tuple[SecretKeyUse, ...]:
    """The Secret keys `sessionStorage` puts on the pod (redis only): password, then CA."""
    storage = args.session_storage
    if storage is None or storage.provider != "redis":
        return ()
    uses: list[SecretKeyUse] = []
    if storage.password_ref is not None:
        ref = storage.password_ref
        uses.append(SecretKeyUse(ref.name, ref.key, "sessionStorage.passwordRef"))
    ca = storage.tls.ca_cert_secret_ref if storage.tls is not None else None
    if ca is not None:
        uses.append(SecretKeyUse(ca.name, ca.key, "sessionStorage.tls.caCertSecretRef"))
    return tuple(uses)


def _embedding_service(inventory: Inventory, name: str) -> tuple[str, tuple[str, ...]]:
    """(the EmbeddingServer's URL, warnings) or VmcpWideError."""
    setting = "embeddingServerRef"
    found = inventory.get(EMBEDDING_SERVER, name)
    if found is None:
        raise VmcpWideError(
            f'{setting}: EmbeddingServer "{name}" not found in namespace "{inventory.namespace}"; '
            f"create it there or change {setting}.name"
        )
    if isinstance(found, Malformed):
        raise VmcpWideError(f"{setting}: {found.problem}; fix the EmbeddingServer")
    status = found.status
    phase = status.phase if status is not None else ""
    if status is not None and phase == FAILED_PHASE:
        raise VmcpWideError(
            f"{setting}: EmbeddingServer {name} has failed ({status.message or 'no message'}); "
            "fix it (kubectl describe embeddingserver) or reference another one"
        )
    warnings: tuple[str, ...] = ()
    if phase and phase != EMBEDDING_READY_PHASE:
        warnings = (
            f'{setting}: EmbeddingServer "{name}" is {phase}, not {EMBEDDING_READY_PHASE}: the '
            "optimizer cannot embed until it is (the operator waits for it before deploying)",
        )
    return found.url(inventory.namespace), warnings


def resolve_vmcp_wide(inventory: Inventory, args: VirtualMCPServerArgs) -> VmcpWide:
    """The three sections for config.yaml (Config order), their Secrets checked in `inventory`."""
    sections: dict[str, Any] = {}
    warnings: tuple[str, ...] = ()
    if args.optimizer is not None or args.embedding_server_ref is not None:
        url = None
        if args.embedding_server_ref is not None:
            url, warnings = _embedding_service(inventory, args.embedding_server_ref.name)
        # no optimizer but a ref: the operator's Validate makes an empty one (no CRD defaults)
        sections["optimizer"] = (
            args.optimizer.for_config(url) if args.optimizer else {"embeddingService": url}
        )
    uses = session_secret_uses(args)
    for use in uses:
        missing = missing_secret_key(inventory, use)
        if missing is not None:
            raise VmcpWideError(f"{use.used_for}: {missing.reason}")
    storage = args.session_storage.for_config() if args.session_storage else None
    if storage is not None:
        sections["sessionStorage"] = storage
    if args.rate_limiting is not None:
        sections["rateLimiting"] = args.rate_limiting.for_config()
    env: tuple[SecretEnv, ...] = ()
    files: tuple[SecretFileVolume, ...] = ()
    for use in uses:
        if use.used_for == "sessionStorage.passwordRef":
            env = (SecretEnv(REDIS_PASSWORD_ENV, use.secret, use.key),)
        else:
            files = (
                SecretFileVolume(
                    SESSION_REDIS_CA_VOLUME,
                    use.secret,
                    use.key,
                    SESSION_REDIS_CA_DIR,
                    SESSION_REDIS_CA_FILE,
                ),
            )
    return VmcpWide(sections, env, files, warnings)
