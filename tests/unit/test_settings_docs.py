"""The settings can't drift: Pulumi.yaml's config schema, its list of optional keys and the
README's settings table name exactly the component's arguments (plus the cluster keys), the
schema's defaults and types are the arguments', and the default image is written once in code."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests import factories
from vmcp_components.core.settings.args import DEFAULT_IMAGE, VirtualMCPServerArgs
from vmcp_components.core.settings.stack_files import ARG_KEYS, CLUSTER_KEYS

ROOT = factories.ROOT
ALL_KEYS = set(ARG_KEYS) | set(CLUSTER_KEYS)
SCHEMA_TYPES = {"string": str, "boolean": bool, "integer": int}
FIELDS = {(field.alias or name): field for name, field in VirtualMCPServerArgs.model_fields.items()}


def _value_types(annotation: Any) -> set[type]:
    """The Python types a field's values can have (`Literal["a"]` -> str, `int | None` -> int)."""
    if isinstance(annotation, type):
        return {annotation}
    return {
        type(arg) if not isinstance(arg, type) else arg
        for arg in getattr(annotation, "__args__", ())
    }


def _project() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))


def _optional_keys_comment() -> set[str]:
    """The keys listed in Pulumi.yaml's `# Optional keys ...:` comment (indented lines)."""
    lines = (ROOT / "Pulumi.yaml").read_text(encoding="utf-8").splitlines()
    listed = [line[len("#   ") :] for line in lines if line.startswith("#   ")]
    return {key.strip() for line in listed for key in line.split(",") if key.strip()}


def _readme_table_keys() -> set[str]:
    """Every `key` in the first column of the README's stack config table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| stack config key (`vmcp-components:` prefix)") :]
    rows = table[: table.index("\n\n")].splitlines()[2:]
    return {key for row in rows for key in re.findall(r"`([A-Za-z]+)`", row.split("|")[1])}


def test_every_schema_key_is_an_argument_with_the_same_type_and_default() -> None:
    schema = _project()["config"]
    for key, spec in schema.items():
        assert key in FIELDS, f"Pulumi.yaml declares {key!r}, which is no argument"
        field = FIELDS[key]
        assert SCHEMA_TYPES[spec["type"]] in _value_types(field.annotation), key
        if "default" in spec:
            assert spec["default"] == field.default, f"{key}: schema default != argument default"
        else:  # the CLI requires a key without a default: only required arguments may be so
            assert field.is_required() or key == "name", f"{key} has no default in Pulumi.yaml"


def test_schema_and_optional_keys_list_every_key_once() -> None:
    schema = set(_project()["config"])
    optional = _optional_keys_comment()
    assert not schema & optional
    assert schema | optional == ALL_KEYS


def test_the_readme_table_names_every_key_and_nothing_else() -> None:
    assert _readme_table_keys() == ALL_KEYS


def test_the_default_image_is_written_once_in_code_and_the_readme_agrees() -> None:
    registry_path = DEFAULT_IMAGE.rsplit(":", 1)[0]
    holders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "vmcp_components").rglob("*.py"))
        if registry_path in path.read_text(encoding="utf-8")
    ]
    assert holders == ["vmcp_components/core/settings/args.py"]
    assert (ROOT / "vmcp_components" / "core" / "settings" / "args.py").read_text(
        encoding="utf-8"
    ).count(registry_path) == 1
    for name in ("Pulumi.yaml", "stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml"):
        assert registry_path not in (ROOT / name).read_text(encoding="utf-8"), name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(re.escape(registry_path) + r":[\w.\-]+", readme)) == {DEFAULT_IMAGE}
