"""The README's campaign loop, run as written after the Quick start has loaded its sample."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, text

from dashboard.services.sample_data import write_csv
from dashboard.services.startup import load_sample_series
from db.ingest import ingest_file

REPO = Path(__file__).resolve().parents[2]


def readme_loop() -> list[list[str]]:
    """The commands of the README's "Try the whole loop" block, comments dropped."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("**Try the whole loop on sample data**", 1)[1]
    code = re.search(r"```sh\n(.*?)```", block, re.S).group(1)
    code = code.replace("\\\n", " ")
    commands = []
    for line in code.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            commands.append(shlex.split(line))
    assert len(commands) == 6 and all(c[:3] == ["python", "-m", "dashboard"] for c in commands)
    return commands


def run(command: list[str], cwd: Path, engine: Engine) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, *command[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_campaign_loop_works_as_written_after_the_quick_start(
    engine: Engine, tmp_path: Path
) -> None:
    sample = load_sample_series(engine, tmp_path / "data", echo=lambda _: None, rows=300)
    assert sample == [1, 2, 3]
    outputs = []
    for command in readme_loop():
        done = run(command, tmp_path, engine)
        assert done.returncode == 0, (command, done.stderr)
        outputs.append(done.stdout)
    with engine.connect() as connection:
        baseline = connection.execute(
            text(
                "SELECT c.dataset_id, d.name FROM campaigns c JOIN datasets d ON d.id = c.dataset_id"
            )
        ).one()
    assert tuple(baseline) == (4, "base")  # not the sample's newest snapshot, data set 3
    assert outputs[-1].startswith(
        "Campaign 1 ('demo'), baseline as of 2025-06-30, follow-up data set 5 as of 2025-09-28"
    )


def test_a_follow_up_from_another_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    base, other = tmp_path / "base.csv", tmp_path / "other.csv"
    write_csv(base, rows=300, seed=1)
    write_csv(other, rows=300, seed=9)
    from dashboard.services.analysis import analyze_dataset

    dataset_id = ingest_file(engine, base).dataset_id
    analyze_dataset(engine, dataset_id)
    assert (
        run(
            [
                "python",
                "-m",
                "dashboard",
                "campaign",
                "create",
                "--name",
                "demo",
                "--dataset",
                str(dataset_id),
            ],
            tmp_path,
            engine,
        ).returncode
        == 0
    )
    done = run(
        [
            "python",
            "-m",
            "dashboard",
            "campaign",
            "generate-followup",
            "--campaign",
            "demo",
            "--baseline",
            str(other),
            "--out",
            str(tmp_path / "f.csv"),
        ],
        tmp_path,
        engine,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"error: other.csv is not the baseline of campaign 'demo': that is data set {dataset_id}, "
        "loaded from base.csv. Pass the file that data set was loaded from.\n"
    )
    assert not (tmp_path / "f.csv").exists()
