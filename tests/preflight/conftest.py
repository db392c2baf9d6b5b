"""Collect garbage around this folder's tests.

Earlier mock-engine tests leave coroutines that were never awaited; when the collector finds
them during a later `ast.parse` (pytest's assertion rewriting, tests/test_layering.py), the
warning it runs there trips CPython 3.11's "AST constructor recursion depth mismatch". These
tests allocate enough to move that collection into such a parse, so they collect first and last.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package", autouse=True)
def _collected() -> Iterator[None]:
    gc.collect()
    yield
    gc.collect()
