"""The YAML reader: libyaml's parser where PyYAML has it, the same results and messages as the
pure-Python one (issue 14: the built-in profiles are read at every start)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prisme_drift.errors import ConfigError
from prisme_drift.profiles import BUILTIN
from prisme_drift.yamlio import (
    _FastLoader,
    _StrictLoader,
    describe_yaml_error,
    load_yaml,
    parse_yaml,
)


def _pure(text: str) -> object:
    return yaml.load(text, Loader=_StrictLoader)


def test_the_fast_loader_is_libyamls_when_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__, "PyYAML was built without libyaml: profiles load slowly"
    assert issubclass(_FastLoader, yaml.CSafeLoader)


@pytest.mark.parametrize("path", sorted(BUILTIN.glob("*.yaml")), ids=lambda p: p.name)
def test_builtin_profiles_read_the_same_with_both_parsers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert parse_yaml(text) == _pure(text)


def test_a_key_written_twice_is_refused_by_the_fast_loader_too() -> None:
    with pytest.raises(yaml.YAMLError) as fast:
        yaml.load("a: 1\nb: 2\na: 3\n", Loader=_FastLoader)
    assert "'a' is defined twice (first on line 1)" in str(fast.value)


@pytest.mark.parametrize(
    "text",
    [
        "hosts:\n  sw01: {a: 1}\n  sw01: {a: 2}\n",  # duplicate key
        "hosts:\n\tsw01: x\n",  # tab indentation
        "password: 'unterminated\nnext: 1\n",  # an unclosed quote (the value is not shown)
        "a: *undefined\n",  # unknown alias
        "a: [1, 2\n",  # unclosed flow sequence
    ],
)
def test_errors_are_the_pure_python_parsers(tmp_path: Path, text: str) -> None:
    with pytest.raises(yaml.YAMLError) as expected:
        _pure(text)
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as got:
        load_yaml(path, what="inventory")
    assert str(got.value) == describe_yaml_error(path, "inventory", expected.value)
    assert "unterminated" not in str(got.value)
