"""Fake kubelet for the e2e test cluster (scripts/test-cluster): makes Deployments Available.

Owned by the test-cluster tooling. There is no container runtime here, so this loop plays the
node: it registers Node ``fake-node`` as Ready, binds every unscheduled Pod to it, reports bound
Pods as Running and Ready (no container is started), and finishes the deletion of terminating
Pods. With kube-controller-manager running, a Deployment then becomes Available and rollouts
complete. It refuses any API server that is not on a loopback address.

    python tests/e2e/fake_kubelet.py --kubeconfig DIR/kubeconfig       # until Ctrl-C / SIGTERM

    kubelet = FakeKubelet(client); kubelet.start(); ...; kubelet.stop()  # in a thread
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
from lightkube import ApiError, Client, KubeConfig
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Node, Pod

NODE_NAME = "fake-node"
# The API server answers a binding with a Status, which lightkube 1.x cannot decode as a typed
# Binding (pods/NAME/binding); the `bindings` collection binds the same way, and a generic
# resource decodes any answer.
Binding = create_namespaced_resource("", "v1", "Binding", "bindings")
log = logging.getLogger("fake_kubelet")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def require_loopback(server: str) -> None:
    """Raise ValueError unless the API server URL points at a loopback address."""
    host = urlsplit(server).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"fake kubelet only talks to a loopback API server, not {server}")


class FakeKubelet:
    """Polls the API server and plays the kubelet of one fake node."""

    def __init__(self, client: Client, node_name: str = NODE_NAME, interval: float = 0.3) -> None:
        self.client = client
        self.node_name = node_name
        self.interval = interval
        self._stop = threading.Event()
        self._next_ip = 0
        self._thread: threading.Thread | None = None

    def register_node(self) -> None:
        """Create the Node (if missing) and report it Ready with some capacity."""
        try:
            self.client.create(Node(metadata=ObjectMeta(name=self.node_name)))
        except ApiError as e:
            if e.status.code != 409:
                raise
        now = _now()
        resources = {"cpu": "16", "memory": "64Gi", "pods": "250"}
        status = {
            "capacity": resources,
            "allocatable": resources,
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "fake kubelet",
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": now,
                }
            ],
        }
        self.client.patch(Node.Status, self.node_name, {"status": status})

    def _pod_status(self, pod: Pod) -> dict[str, Any]:
        now = _now()
        spec = pod.spec
        assert spec is not None
        # a recorded address only (Endpoints reject loopback); nothing ever connects to it
        self._next_ip = self._next_ip % 65000 + 1
        pod_ip = f"10.244.{self._next_ip // 250}.{self._next_ip % 250 + 2}"

        def statuses(containers: list[Any] | None, *, init: bool) -> list[dict[str, Any]]:
            state = (
                {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": now,
                        "finishedAt": now,
                    }
                }
                if init
                else {"running": {"startedAt": now}}
            )
            return [
                {
                    "name": c.name,
                    "image": c.image or "",
                    "imageID": "",
                    "ready": not init,
                    "started": not init,
                    "restartCount": 0,
                    "state": state,
                }
                for c in containers or []
            ]

        conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"]
        return {
            "phase": "Running",
            "hostIP": "127.0.0.1",
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": now} for t in conditions
            ],
            "containerStatuses": statuses(spec.containers, init=False),
            "initContainerStatuses": statuses(spec.initContainers, init=True),
        }

    def step(self) -> None:
        """One pass over all Pods: delete, bind or mark Ready as needed."""
        for pod in self.client.list(Pod, namespace="*"):
            meta, spec, status = pod.metadata, pod.spec, pod.status
            if meta is None or meta.name is None or spec is None:
                continue
            ns, name = meta.namespace, meta.name
            try:
                if meta.deletionTimestamp is not None:
                    self.client.delete(Pod, name, namespace=ns, grace_period=0)
                elif not spec.nodeName:
                    target = {"apiVersion": "v1", "kind": "Node", "name": self.node_name}
                    binding = Binding(metadata=ObjectMeta(name=name, namespace=ns), target=target)
                    self.client.create(binding)
                elif spec.nodeName == self.node_name and not _is_ready(status):
                    self.client.patch(
                        Pod.Status, name, {"status": self._pod_status(pod)}, namespace=ns
                    )
                else:
                    continue
                log.info("handled pod %s/%s", ns, name)
            except ApiError as e:  # the pod changed or went away meanwhile: next pass
                log.debug("pod %s/%s: %s", ns, name, e)

    def run(self) -> None:
        """Loop until stop(): register the node, then step every `interval` seconds."""
        registered = False
        while not self._stop.is_set():
            try:
                if not registered:
                    self.register_node()
                    registered = True
                self.step()
            except (ApiError, httpx.HTTPError) as e:
                log.warning("fake kubelet: %s", e)
            except Exception:  # a dead thread would leave the tests waiting instead
                log.exception("fake kubelet: unexpected error")
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Run the loop in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="fake-kubelet", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the loop and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _is_ready(status: Any) -> bool:
    if status is None or status.phase != "Running":
        return False
    return any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])


def client_for(kubeconfig: str) -> Client:
    """A lightkube Client for `kubeconfig`, refusing non-loopback servers."""
    config = KubeConfig.from_file(kubeconfig)
    context = config.get()
    require_loopback(context.cluster.server if context and context.cluster else "")
    return Client(config)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake kubelet for the e2e test cluster.")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--node-name", default=NODE_NAME)
    parser.add_argument("--interval", type=float, default=0.3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for name in ("httpx", "httpx2"):  # one line per request otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    kubelet = FakeKubelet(client_for(args.kubeconfig), args.node_name, args.interval)
    with contextlib.suppress(KeyboardInterrupt):
        kubelet.run()


if __name__ == "__main__":
    main()
