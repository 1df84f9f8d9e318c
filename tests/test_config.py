"""Configuration: defaults, huitong.toml, HUITONG_* variables, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from huitong.config import load_settings
from huitong.errors import HuitongError


def test_defaults_put_everything_under_huitong_data_with_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no huitong.toml here
    s = load_settings(env={})
    assert s.data_dir == Path("huitong-data")
    assert s.metadata_url.startswith("sqlite:///") and s.metadata_url.endswith("huitong-data/huitong.db")
    assert (s.bind_host, s.bind_port) == ("127.0.0.1", 8000)


def test_toml_then_environment_override(tmp_path):
    f = tmp_path / "huitong.toml"
    f.write_text(
        'data_dir = "/srv/ht"\nbind_port = 9000\n[deadlines]\noperator_review = 3\n', encoding="utf-8"
    )
    s = load_settings(
        config_file=f, env={"HUITONG_BIND_PORT": "9100", "HUITONG_DATABASE_URL": "postgresql://db/huitong"}
    )
    assert s.data_dir == Path("/srv/ht") and s.bind_port == 9100
    assert s.metadata_url == "postgresql://db/huitong"
    assert s.deadlines.operator_review == 3 and s.deadlines.provider_review_on_platform == 5


@pytest.mark.parametrize(
    "text,match",
    [
        ("bind_port = 'abc'\n", "bind_port"),
        ("colour = 'blue'\n", "unknown setting 'colour'"),
        ("data_dir = \n", "not valid TOML"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path, text, match):
    f = tmp_path / "huitong.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(HuitongError, match=match):
        load_settings(config_file=f, env={})


def test_a_named_configuration_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(HuitongError, match="absent.toml does not exist"):
        load_settings(config_file=tmp_path / "absent.toml", env={})
    with pytest.raises(HuitongError, match="does not exist"):
        load_settings(env={"HUITONG_CONFIG": str(tmp_path / "nope.toml")})
