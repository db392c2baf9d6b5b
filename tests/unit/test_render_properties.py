"""Property test of `render` (issue #13): hostile snapshots never crash it, leak or misname.

Hypothesis builds snapshots of every kind render reads (MCPGroup, MCPServerEntry, MCPServer,
MCPRemoteProxy, MCPExternalAuthConfig, ConfigMap, Secret) from the factories, then breaks
them: odd names, huge strings, wrong types, unicode, YAML-special strings, and Secrets whose
values carry a marker, sometimes as raw text that is not even YAML. The CLI runs in-process.
Whatever the input: exit 0 or 2; exit 2 is one `error:` line and no output; the emitted
objects pass every invariant of tests/invariants.py (names Kubernetes accepts, unique names,
mounts, env vars and references that exist) and each stays under 1 MiB; no Secret value
appears anywhere.
Derandomized with a bounded example count, so CI runs the same examples every time.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.invariants import violations
from vmcp_components.cli import main

MARKER = "Zq9SECRETq9Z"
"""Every Secret value holds this; no other generated text can."""
ONE_MIB = 1024 * 1024

YAML_SPECIAL = [
    *("", "null", "~", "true", "no", "0x1F", "1e3", "2020-13-45", "- x", "a: b", "#c"),
    *("&a", "*a", "!tag", "!!int x", "|", ">", "%", "@", "`", "'", '"', "\n", "[", "{"),
    *("---", "...", "\t", "\r\n", "\x85", "\u2028", "\ufeff", "🚀", "é", "\\N", "\x00"),
]
NAMES = ["good", "corp.internal", "a" * 63, "b" * 64, "x" * 250, "Upper", "-dash", "a_b", "é"]

texts = st.text(max_size=30)
odd_strings = st.one_of(
    texts,
    st.sampled_from(YAML_SPECIAL),
    st.sampled_from(YAML_SPECIAL).map(lambda s: f"x{s}y"),
    st.integers(1, 3).map(lambda n: "h" * (200_000 * n)),  # huge
)
hostile = st.one_of(
    odd_strings,
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(texts, max_size=3),
    st.dictionaries(texts, texts, max_size=3),
)
names = st.one_of(st.sampled_from(NAMES), st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True))
urls = st.one_of(
    names.map(lambda n: f"https://{n}.example.com/mcp"),
    st.sampled_from(["http://169.254.169.254/", "http://localhost/", "ftp://x/", "https://"]),
    odd_strings,
)
secret_values = texts.map(lambda s: f"{MARKER}{s}")


def _mutate(obj: Any, data: st.DataObject) -> None:
    """Set one field somewhere in `obj` (existing or new) to a hostile value."""
    while isinstance(obj, dict) and obj and data.draw(st.booleans()):
        child = obj[data.draw(st.sampled_from(sorted(obj)))]
        if not isinstance(child, dict):
            break
        obj = child
    if isinstance(obj, dict):
        key = data.draw(st.one_of(st.sampled_from(sorted(obj) or ["x"]), texts))
        obj[key] = data.draw(hostile)


@st.composite
def snapshots(draw: st.DrawFn) -> str:
    """The text of a snapshot: a List of objects, sometimes plus a raw (maybe broken) Secret."""
    data = draw(st.data())
    objects: list[dict[str, Any]] = [factories.group(phase=draw(st.sampled_from(["Ready", None])))]
    for _ in range(draw(st.integers(0, 3))):
        objects.append(
            factories.entry(
                draw(names),
                url=draw(urls),
                ca=draw(st.sampled_from([None, ("corp-ca", "ca.crt"), ("creds", "token")])),
                auth=draw(st.sampled_from([None, "auth", "missing"])),
                plaintext=draw(st.sampled_from([None, {"X-Tenant": "t1"}])),
                secret_headers=draw(st.sampled_from([None, [("Authorization", "creds", "t")]])),
            )
        )
    for _ in range(draw(st.integers(0, 2))):
        objects.append(factories.server(draw(names), url=draw(st.one_of(st.just("auto"), urls))))
    for _ in range(draw(st.integers(0, 2))):
        objects.append(factories.proxy(draw(names), remote_url=draw(urls)))
    objects.append(
        draw(
            st.sampled_from(
                [
                    factories.token_exchange("auth", secret="creds", key="token"),
                    factories.header_injection("auth", header="X-Key", secret="creds", key="t"),
                ]
            )
        )
    )
    objects.append(factories.config_map("corp-ca", {"ca.crt": factories.ca_pem()}))
    secret_data = draw(st.dictionaries(st.sampled_from(["t", "token", "k"]), secret_values))
    objects.append(factories.secret("creds", secret_data, string_data=secret_data))
    for _ in range(draw(st.integers(0, 3))):
        _mutate(draw(st.sampled_from(objects)), data)
    text = yaml.dump(  # libyaml if present: the pure emitter spends seconds on huge strings
        {"apiVersion": "v1", "kind": "List", "items": objects},
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
    )
    if draw(st.booleans()):
        special = st.one_of(texts, st.sampled_from(YAML_SPECIAL))
        raw = f"{draw(special)}{MARKER}{draw(special)}"
        text += (
            f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: raw\n"
            f"stringData:\n  token: {raw}\n"
        )
    return text


def _render(snapshot: str) -> tuple[int, str, str, str | None]:
    """(exit code, stdout, stderr, status file or None) of `render` on `snapshot`."""
    with tempfile.TemporaryDirectory() as tmp:
        path, status_file = Path(tmp) / "snapshot.yaml", Path(tmp) / "status.json"
        path.write_text(snapshot, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                [
                    *("render", "--snapshot", str(path), "--name", "eng-tools"),
                    *("--namespace", factories.NAMESPACE, "--group", factories.GROUP),
                    *("--status-file", str(status_file)),
                ]
            )
        status = status_file.read_text(encoding="utf-8") if status_file.exists() else None
        return code, out.getvalue(), err.getvalue(), status


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(snapshots())
def test_render_never_crashes_leaks_or_emits_invalid_objects(snapshot: str) -> None:
    code, out, err, status = _render(snapshot)
    event(f"exit {code}")

    assert code in (0, 2)
    for text in (out, err, status or ""):
        assert MARKER not in text
    if code == 2:
        assert (out, status) == ("", None)
        assert err.startswith("error: ")
        assert err.count("\n") == 1, err
        assert "Traceback" not in err
        return
    assert all(line.startswith("warning: ") for line in err.splitlines()), err
    assert status is not None
    json.loads(status)
    documents = list(yaml.safe_load_all(out))
    assert violations(documents) == []  # tests/invariants.py: names, uniqueness, references
    for document in documents:
        assert len(json.dumps(document).encode()) < ONE_MIB, document["kind"]
