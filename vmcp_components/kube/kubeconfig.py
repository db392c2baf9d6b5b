"""The one kubeconfig loader: a path or the file's contents, and a context, as lightkube config.

The kubernetes provider accepts a kubeconfig as a path or as its contents; discovery and `watch`
must read the same cluster from the same value, so both load it here. Contents are told from a
path by their shape (a newline, or YAML/JSON that starts a mapping); none means `$KUBECONFIG`,
`~/.kube/config`, or the pod's service account.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import yaml
from lightkube import KubeConfig
from lightkube.config.kubeconfig import SingleConfig

from vmcp_components.core.backends.read_plan import DiscoveryError

# lightkube leaves `conf: Dict` unannotated: strict pyright reports `from_dict` as partially
# unknown, though the value passed here is a loaded YAML mapping.
_config_from_dict = cast(
    "Callable[[dict[str, Any]], KubeConfig]",
    KubeConfig.from_dict,  # pyright: ignore[reportUnknownMemberType]
)


class KubeconfigError(DiscoveryError):
    """The kubeconfig cannot be loaded, or has no such context."""


def is_contents(kubeconfig: str) -> bool:
    """Whether `kubeconfig` is a kubeconfig's contents rather than a path to one."""
    return "\n" in kubeconfig or kubeconfig.lstrip().startswith(("{", "apiVersion"))


def load_kube_config(kubeconfig: str | None, context: str | None) -> SingleConfig:
    """The cluster of `kubeconfig` (a path, the contents, or None) under `context`."""
    try:
        if kubeconfig and is_contents(kubeconfig):
            loaded: object = yaml.safe_load(kubeconfig)
            if not isinstance(loaded, dict):
                raise KubeconfigError("kubeconfig contents are not a YAML mapping")
            config = _config_from_dict(cast("dict[str, Any]", loaded))
        elif kubeconfig:
            config = KubeConfig.from_file(Path(kubeconfig).expanduser())
        else:
            config = KubeConfig.from_env()
        single = config.get(context_name=context)
    except KubeconfigError:
        raise
    except Exception as error:  # noqa: BLE001 - lightkube raises several config error types
        raise KubeconfigError(f"cannot load kubeconfig (context {context!r}): {error}") from None
    if single is None:
        raise KubeconfigError(f"kubeconfig has no context {context!r} and no current context")
    return single
