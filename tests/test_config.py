"""Settings: the example file is the truth about defaults; bad keys name themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bramka.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_equals_built_in_defaults():
    assert load_settings(ROOT / "config.toml", {}) == Settings()


def test_example_config_documents_every_setting():
    text = (ROOT / "config.toml").read_text()
    for section, model in Settings.model_fields.items():
        assert f"[{section}]" in text
        for key in model.annotation.model_fields:
            assert f"\n{key} =" in text or f"# {key} =" in text, f"[{section}] {key}"


@pytest.mark.parametrize(("toml", "message"), [
    ("[kiosk]\nmod = 'room'\n", "unknown key 'mod' in [kiosk] (did you mean 'mode'?)"),
    ("[kiosks]\n", "unknown section [kiosks] (did you mean 'kiosk'?)"),
    ("[kiosk]\nmode = 'exit'\n", "'mode' in [kiosk]"),
    ("[kiosk]\nmode = 'room'\n", "room: a kiosk in room mode needs the room's name"),
    ("[kiosk]\nstaff_pin = '12'\n", "'staff_pin' in [kiosk]"),
    ("[camera]\nsource = 'video'\n", "path: camera source 'video' needs a path"),
    ("[camera]\nfps = 'fast'\n", "'fps' in [camera]"),
    ("[kiosk\n", "not valid TOML"),
])
def test_bad_config_names_the_key(tmp_path, toml, message):
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path, {})
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml", {})


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[kiosk]\nstaff_pin = '1111'\nport = 9000\n")
    s = load_settings(path, {"BRAMKA_KIOSK__STAFF_PIN": "975310", "UNRELATED": "x"})
    assert (s.kiosk.staff_pin, s.kiosk.port) == ("975310", 9000)
    with pytest.raises(ConfigError, match="environment"):
        load_settings(path, {"BRAMKA_KIOSK__PINN": "1"})
