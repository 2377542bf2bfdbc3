"""`bramka admin` commands, through click's runner against a real database."""

from __future__ import annotations

from pathlib import Path

from admin_fixtures import make_event
from click.testing import CliRunner
from sqlalchemy import func, select

from admin import sample_data
from admin.cli import admin_group
from admin.db import current_revision, head_revision, make_engine
from admin.queries.users import find_by_username
from admin.schema import people
from admin.security import verify_password


def _config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path / "data"}"\n')
    return path


def test_migrate_create_user_and_import(tmp_path: Path, db_url: str) -> None:
    config = _config(tmp_path, db_url)
    runner = CliRunner()
    result = runner.invoke(admin_group, ["--config", str(config), "migrate"])
    assert result.exit_code == 0, result.output
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()

    result = runner.invoke(admin_group, ["--config", str(config), "create-user", "ola",
                                         "--role", "organizer", "--name", "Ola Nowak"],
                           input="tajne haslo 123\ntajne haslo 123\n")
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        user = find_by_username(conn, "ola")
    assert user and user["role"] == "organizer"
    assert verify_password(user["password_hash"], "tajne haslo 123")

    result = runner.invoke(admin_group, ["--config", str(config), "create-user", "xy",
                                         "--role", "volunteer", "--password", "short"])
    assert result.exit_code != 0 and "at least 10" in result.output

    ev = make_event(engine)
    file = tmp_path / "lista.csv"
    file.write_bytes(sample_data.polish_excel_csv(sample_data.registrants(50))
                     + "51;Jan;;;;;\r\n".encode("cp1250"))
    result = runner.invoke(admin_group, ["--config", str(config), "import", str(file),
                                         "--event", str(ev["id"]), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would create 50" in result.output and "dry run" in result.output
    assert "row 52 (Lp. 51): rejected: last name missing" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 0

    result = runner.invoke(admin_group, ["--config", str(config), "import", str(file)])
    assert result.exit_code == 0, result.output
    assert "created 50" in result.output and "importing" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 50
    engine.dispose()


def test_import_with_explicit_mapping_and_a_bad_file(tmp_path: Path, db_url: str) -> None:
    config = _config(tmp_path, db_url)
    engine = make_engine(db_url)
    runner = CliRunner()
    runner.invoke(admin_group, ["--config", str(config), "migrate"])
    ev = make_event(engine)
    file = tmp_path / "x.csv"
    file.write_text("Kto,Skąd\nAnna Nowak,GOPS Gdów\n")
    result = runner.invoke(admin_group, ["--config", str(config), "import", str(file),
                                         "--event", str(ev["id"])])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    result = runner.invoke(admin_group, ["--config", str(config), "import", str(file),
                                         "--event", str(ev["id"]), "--map", "full_name=A",
                                         "--map", "institution=Skąd"])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    engine.dispose()


def test_admin_commands_are_quiet_about_migrations_unless_verbose(tmp_path: Path) -> None:
    """`bramka admin migrate` is one line of news, not a dozen `INFO alembic` lines."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}

    def run(*flags: str, db: str) -> subprocess.CompletedProcess[str]:
        config = _config(tmp_path, f"sqlite:///{tmp_path / db}")
        return subprocess.run([sys.executable, "-m", "bramka", *flags, "admin", "--config",
                               str(config), "migrate"], env=env, capture_output=True,
                              text=True, timeout=120, check=True)

    quiet = run(db="quiet.db")
    assert "alembic" not in quiet.stderr + quiet.stdout
    loud = run("-v", db="loud.db")
    assert "INFO alembic.runtime.migration: Running upgrade" in loud.stderr
