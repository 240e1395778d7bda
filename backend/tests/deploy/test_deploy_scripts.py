"""deploy.sh and rollback.sh, run for real against stand-ins for git, npm, docker, curl and sudo.

There is no Docker engine here; the stand-ins record every command and play the parts the tests
need (a failing build, a failing migration, an unhealthy release), so the scripts' order of steps,
stops and rollbacks are what is checked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.topology import ROOT

STUBS = {
    "git": """
echo "git $*" >>"$CALLS"
case "$1" in
  rev-parse) echo "$FAKE_HEAD" ;;
  pull) exit "${FAKE_GIT_RC:-0}" ;;
esac
""",
    "npm": """
echo "npm $*" >>"$CALLS"
if [[ "$1" == run && "$2" == build ]]; then
  [[ -z "${FAKE_NPM_FAIL:-}" ]] || exit 1
  mkdir -p dist && echo "spa $FAKE_HEAD" >dist/index.html
fi
""",
    "docker": """
echo "docker $* TAG=${TELIPORTER_TAG:-}" >>"$CALLS"
if [[ "$1" == compose ]]; then
  shift 3
  case "$1" in
    up) echo "$TELIPORTER_TAG" >"$FAKE_STATE/running" ;;
    run) exit "${FAKE_MIGRATE_RC:-0}" ;;
  esac
elif [[ "$1 $2" == "image inspect" ]]; then
  [[ " ${FAKE_IMAGES:-} " == *" ${3#*:} "* ]] || exit 1
elif [[ "$1" == ps ]]; then
  echo "Up 5 seconds"
fi
""",
    "curl": """
echo "curl $*" >>"$CALLS"
running="$(cat "$FAKE_STATE/running" 2>/dev/null || true)"
if [[ -n "$running" && "$running" == "${FAKE_BAD_TAG:-}" ]]; then
  echo '{"status":"degraded","database":"ok","redis":"ok","worker":"error"}'
else
  echo '{"status":"ok","database":"ok","redis":"ok","worker":"ok"}'
fi
""",
    "sudo": 'echo "sudo $*" >>"$CALLS"\n',
}


@dataclass
class Site:
    root: Path
    env: dict[str, str]

    @property
    def state(self) -> Path:
        return self.root / ".deploy"

    def calls(self) -> list[str]:
        path = Path(self.env["CALLS"])
        return path.read_text().splitlines() if path.exists() else []

    def index_of(self, fragment: str) -> int:
        calls = self.calls()
        return next(i for i, call in enumerate(calls) if fragment in call)

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(self.root / "deploy" / script), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def released(self, *tags: str) -> None:
        """As if deploy.sh had released these tags in turn (the last is live)."""
        self.state.mkdir(exist_ok=True)
        lines = [f"2026-01-0{i + 1}T00:00:00Z {tag}" for i, tag in enumerate(tags)]
        (self.state / "history").write_text("\n".join(lines) + "\n")
        (self.state / "current").write_text(tags[-1] + "\n")
        for tag in tags[:-1]:
            (self.state / f"dist-{tag}").mkdir()
            (self.state / f"dist-{tag}" / "index.html").write_text(f"spa {tag}\n")
        (self.root / "frontend" / "dist").mkdir(parents=True, exist_ok=True)
        (self.root / "frontend" / "dist" / "index.html").write_text(f"spa {tags[-1]}\n")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "teliporter"
    shutil.copytree(ROOT / "deploy", root / "deploy")
    (root / "frontend").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text("#!/usr/bin/env bash\nset -eu\n" + body)
        stub.chmod(0o755)
    fake_state = tmp_path / "fake"
    fake_state.mkdir()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "CALLS": str(tmp_path / "calls.log"),
        "FAKE_STATE": str(fake_state),
        "FAKE_HEAD": "bbbbbbbbbbbb",
        "HEALTH_TIMEOUT": "2",
        "HEALTH_INTERVAL": "0.1",
    }
    return Site(root=root, env=env)


def test_deploy_migrates_before_restarting_then_checks_health(site: Site) -> None:
    site.released("aaaaaaaaaaaa")
    result = site.run("deploy.sh")
    assert result.returncode == 0, result.stderr
    order = [
        "git pull --ff-only origin main",
        "npm ci",
        "npm run build",
        "compose -f docker-compose.prod.yml build TAG=bbbbbbbbbbbb",
        "run --rm backend alembic upgrade head TAG=bbbbbbbbbbbb",
        "compose -f docker-compose.prod.yml up -d",
        "curl",
        "sudo nginx -t",
    ]
    positions = [site.index_of(step) for step in order]
    assert positions == sorted(positions), site.calls()
    assert "sudo systemctl reload nginx" in site.calls()
    assert (site.state / "current").read_text().strip() == "bbbbbbbbbbbb"
    assert "bbbbbbbbbbbb" in (site.state / "history").read_text()
    # The SPA build that was live is kept with its release, for a rollback.
    assert (site.state / "dist-aaaaaaaaaaaa" / "index.html").read_text() == "spa aaaaaaaaaaaa\n"
    assert "Deploy complete: bbbbbbbbbbbb" in result.stdout


def test_an_unhealthy_release_is_rolled_back_to_the_previous_image(site: Site) -> None:
    site.released("aaaaaaaaaaaa")
    result = site.run("deploy.sh", FAKE_BAD_TAG="bbbbbbbbbbbb", FAKE_IMAGES="aaaaaaaaaaaa")
    assert result.returncode != 0
    assert "not healthy" in result.stderr
    ups = [call for call in site.calls() if " up -d" in call]
    assert ups[-1].endswith("TAG=aaaaaaaaaaaa") and "--no-build" in ups[-1]
    assert (site.state / "current").read_text().strip() == "aaaaaaaaaaaa"
    spa = site.root / "frontend" / "dist" / "index.html"
    assert spa.read_text() == "spa aaaaaaaaaaaa\n"
    assert not any(call.startswith("sudo") for call in site.calls())  # nginx left alone
    assert "Rollback complete: aaaaaaaaaaaa" in result.stdout


def test_deploy_stops_at_the_first_failing_step(site: Site) -> None:
    site.released("aaaaaaaaaaaa")
    result = site.run("deploy.sh", FAKE_NPM_FAIL="1")
    assert result.returncode != 0
    assert "FAILED at: 2. Building frontend" in result.stderr
    assert not any(call.startswith("docker") for call in site.calls())
    assert (site.state / "current").read_text().strip() == "aaaaaaaaaaaa"


def test_a_failed_migration_leaves_the_running_release_alone(site: Site) -> None:
    site.released("aaaaaaaaaaaa")
    result = site.run("deploy.sh", FAKE_MIGRATE_RC="1")
    assert result.returncode != 0
    assert "FAILED at: 4. Running database migrations" in result.stderr
    assert not any(" up -d" in call for call in site.calls())
    assert (site.state / "current").read_text().strip() == "aaaaaaaaaaaa"


def test_rollback_goes_back_one_release_at_a_time(site: Site) -> None:
    site.released("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc")
    images = "aaaaaaaaaaaa bbbbbbbbbbbb cccccccccccc"
    first = site.run("rollback.sh", FAKE_IMAGES=images)
    assert first.returncode == 0, first.stderr
    assert (site.state / "current").read_text().strip() == "bbbbbbbbbbbb"
    assert (site.root / "frontend" / "dist" / "index.html").read_text() == "spa bbbbbbbbbbbb\n"
    second = site.run("rollback.sh", FAKE_IMAGES=images)
    assert second.returncode == 0, second.stderr
    assert (site.state / "current").read_text().strip() == "aaaaaaaaaaaa"
    # The release rolled back from keeps its SPA build, so it can be rolled forward to.
    assert (site.state / "dist-cccccccccccc" / "index.html").read_text() == "spa cccccccccccc\n"


def test_rollback_downgrades_with_the_newer_image_before_switching(site: Site) -> None:
    site.released("aaaaaaaaaaaa", "bbbbbbbbbbbb")
    result = site.run(
        "rollback.sh", "aaaaaaaaaaaa", "--downgrade", "r0042", FAKE_IMAGES="aaaaaaaaaaaa"
    )
    assert result.returncode == 0, result.stderr
    downgrade = site.index_of("alembic downgrade r0042 TAG=bbbbbbbbbbbb")
    assert downgrade < site.index_of("up -d --no-build --remove-orphans TAG=aaaaaaaaaaaa")


def test_rollback_refuses_an_image_that_is_gone(site: Site) -> None:
    site.released("aaaaaaaaaaaa", "bbbbbbbbbbbb")
    result = site.run("rollback.sh", FAKE_IMAGES="bbbbbbbbbbbb")
    assert result.returncode == 2
    assert "teliporter-backend:aaaaaaaaaaaa is not on this machine" in result.stderr
    assert not any(" up -d" in call for call in site.calls())
