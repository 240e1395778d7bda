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
  out=dist
  while (($#)); do [[ "$1" != --outDir ]] || out="$2"; shift; done
  mkdir -p "$out" && echo "spa $FAKE_HEAD" >"$out/index.html"
fi
""",
    "docker": """
echo "docker $* TAG=${TELIPORTER_TAG:-}" >>"$CALLS"
if [[ "$1" == compose ]]; then
  shift
  while [[ "$1" == -* ]]; do shift 2; done  # --project-directory, -p and -f, with their values
  # What nginx would serve meanwhile.
  echo "$1 $(cat "$SITE/frontend/dist/index.html" 2>/dev/null || echo none)" >>"$FAKE_STATE/seen"
  case "$1" in
    build) exit "${FAKE_BUILD_RC:-0}" ;;
    up) echo "$TELIPORTER_TAG" >"$FAKE_STATE/running" ;;
    run) exit "${FAKE_MIGRATE_RC:-0}" ;;
  esac
elif [[ "$1 $2" == "image inspect" ]]; then
  [[ " ${FAKE_IMAGES:-} " == *" ${3#*:} "* ]] || exit 1
elif [[ "$1 $2" == "image ls" ]]; then
  for image in ${FAKE_IMAGES:-}; do echo "$image"; done
elif [[ "$1" == ps ]]; then
  echo "Up 5 seconds"
fi
""",
    "curl": """
echo "curl $*" >>"$CALLS"
echo "curl $(cat "$SITE/frontend/dist/index.html" 2>/dev/null || echo none)" >>"$FAKE_STATE/seen"
running="$(cat "$FAKE_STATE/running" 2>/dev/null || true)"
if [[ -n "$running" && "$running" == "${FAKE_BAD_TAG:-}" ]]; then
  echo '{"status":"degraded","database":"ok","redis":"ok","worker":"error"}'
else
  echo '{"status":"ok","database":"ok","redis":"ok","worker":"ok"}'
fi
""",
    "sudo": 'echo "sudo $*" >>"$CALLS"\n',
}

PACKAGE_JSON = '{"scripts": {"build": "tsc --noEmit -p . && vite build"}}\n'
COMPOSE = "name: teliporter\nservices: {}  # the checkout's\n"


@dataclass
class Site:
    root: Path
    env: dict[str, str]

    @property
    def state(self) -> Path:
        return self.root / ".deploy"

    @property
    def dist(self) -> Path:
        return self.root / "frontend" / "dist"

    def calls(self) -> list[str]:
        path = Path(self.env["CALLS"])
        return path.read_text().splitlines() if path.exists() else []

    def compose_calls(self) -> list[str]:
        return [call for call in self.calls() if call.startswith("docker compose")]

    def seen(self) -> list[str]:
        """Each compose or curl call with the index.html nginx would have served then."""
        path = Path(self.env["FAKE_STATE"]) / "seen"
        return path.read_text().splitlines() if path.exists() else []

    def history(self) -> list[list[str]]:
        return [line.split()[1:] for line in (self.state / "history").read_text().splitlines()]

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

    def live(self) -> str:
        """The release frontend/dist points at (it must be a symlink), and what it serves."""
        assert self.dist.is_symlink()
        return f"{Path(os.readlink(self.dist)).name}: {(self.dist / 'index.html').read_text()}"

    def released(self, *tags: str, outcomes: dict[str, str] | None = None) -> None:
        """As if deploy.sh had released these tags in turn (the last is live), each healthy
        unless `outcomes` says otherwise ("failed": its health check failed, then rolled back)."""
        self.state.mkdir(exist_ok=True)
        lines = []
        for i, tag in enumerate(tags):
            outcome = (outcomes or {}).get(tag, "healthy")
            lines += [f"2026-01-0{i + 1}T00:00:00Z {tag} deployed"]
            lines += [f"2026-01-0{i + 1}T00:00:01Z {tag} {outcome}"]
            spa = self.state / "spa" / tag
            spa.mkdir(parents=True)
            (spa / "index.html").write_text(f"spa {tag}\n")
            release = self.state / "releases" / tag
            release.mkdir(parents=True)
            (release / "docker-compose.prod.yml").write_text(f"services: {{}}  # {tag}\n")
        (self.state / "history").write_text("\n".join(lines) + "\n")
        (self.state / "current").write_text(tags[-1] + "\n")
        self.dist.symlink_to(f"../.deploy/spa/{tags[-1]}")

    def released_before_upgrade(self, *tags: str) -> None:
        """As the scripts before .deploy/spa left it: frontend/dist a folder, history lines
        without an outcome, the SPA builds of earlier releases in .deploy/dist-<tag>."""
        self.state.mkdir(exist_ok=True)
        lines = [f"2026-01-0{i + 1}T00:00:00Z {tag}" for i, tag in enumerate(tags)]
        (self.state / "history").write_text("\n".join(lines) + "\n")
        (self.state / "current").write_text(tags[-1] + "\n")
        for tag in tags[:-1]:
            (self.state / f"dist-{tag}").mkdir()
            (self.state / f"dist-{tag}" / "index.html").write_text(f"spa {tag}\n")
        self.dist.mkdir(parents=True, exist_ok=True)
        (self.dist / "index.html").write_text(f"spa {tags[-1]}\n")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    root = tmp_path / "teliporter"
    shutil.copytree(ROOT / "deploy", root / "deploy")
    (root / "frontend").mkdir()
    (root / "frontend" / "package.json").write_text(PACKAGE_JSON)
    (root / "docker-compose.prod.yml").write_text(COMPOSE)
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
        "SITE": str(root),
        "CALLS": str(tmp_path / "calls.log"),
        "FAKE_STATE": str(fake_state),
        "FAKE_HEAD": "bbbbbbbbbbbb",
        "HEALTH_TIMEOUT": "2",
        "HEALTH_INTERVAL": "0.1",
    }
    return Site(root=root, env=env)


A, B, C, D, E = ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd", "eeeeeeeeeeee")


def compose_prefix(site: Site, tag: str) -> str:
    """How every compose call of release `tag` starts: its kept file, the checkout's project."""
    kept = site.state / "releases" / tag / "docker-compose.prod.yml"
    return f"docker compose --project-directory {site.root} -p teliporter -f {kept} "


def test_deploy_migrates_before_restarting_then_checks_health(site: Site) -> None:
    site.released(A)
    result = site.run("deploy.sh")
    assert result.returncode == 0, result.stderr
    prefix = compose_prefix(site, B)
    order = [
        "git pull --ff-only origin main",
        "npm ci",
        f"npm run build -- --outDir {site.state}/spa/.new-{B} --emptyOutDir",
        f"{prefix}build TAG={B}",
        f"{prefix}run --rm backend alembic upgrade head TAG={B}",
        f"{prefix}up -d --remove-orphans TAG={B}",
        "curl",
        "sudo nginx -t",
    ]
    positions = [site.index_of(step) for step in order]
    assert positions == sorted(positions), site.calls()
    assert "sudo systemctl reload nginx" in site.calls()
    assert (site.state / "current").read_text().strip() == B
    assert site.history()[-2:] == [[B, "deployed"], [B, "healthy"]]
    # The compose file it ran with is kept with it, for a rollback to it.
    kept = site.state / "releases" / B / "docker-compose.prod.yml"
    assert kept.read_text() == COMPOSE
    # The new SPA is live; the one before is kept with its release, for a rollback.
    assert site.live() == f"{B}: spa {B}\n"
    assert (site.state / "spa" / A / "index.html").read_text() == f"spa {A}\n"
    assert not list((site.state / "spa").glob(".new-*"))
    assert "Deploy complete: bbbbbbbbbbbb" in result.stdout
    # The closing status names each container, the backfill worker's too.
    for name in ("backend", "celery-worker", "celery-backfill", "celery-beat", "redis"):
        assert any(
            c.startswith(f"docker ps --filter name=teliporter-{name} ") for c in site.calls()
        )
    assert "Backfill: " in result.stdout


def test_the_spa_goes_live_only_once_the_new_release_is_healthy(site: Site) -> None:
    site.released(A)
    result = site.run("deploy.sh")
    assert result.returncode == 0, result.stderr
    # Through the build, the migration, the restart and the health check nginx served the
    # previous release's SPA (never nothing), then the new one.
    assert site.seen() == [f"{step} spa {A}" for step in ("build", "run", "up", "curl")]
    assert site.live() == f"{B}: spa {B}\n"


def test_an_unhealthy_release_is_rolled_back_to_the_previous_image(site: Site) -> None:
    site.released(A)
    result = site.run("deploy.sh", FAKE_BAD_TAG=B, FAKE_IMAGES=A)
    assert result.returncode != 0
    assert "not healthy" in result.stderr
    # The failed release's last logs, the workers' with the API's.
    assert f"{compose_prefix(site, B)}logs --tail=50 backend celery_worker celery_backfill" in (
        " ".join(site.calls())
    )
    ups = [call for call in site.calls() if " up -d" in call]
    assert ups[-1] == f"{compose_prefix(site, A)}up -d --no-build --remove-orphans TAG={A}"
    assert (site.state / "current").read_text().strip() == A
    assert site.live() == f"{A}: spa {A}\n"
    assert "none" not in " ".join(site.seen())  # the SPA was there throughout
    assert not any(call.startswith("sudo") for call in site.calls())  # nginx left alone
    assert [B, "failed", "health"] in site.history()
    assert site.history()[-2:] == [[A, "rollback"], [A, "healthy"]]
    assert not list((site.state / "spa").glob(".new-*"))  # the new build is not kept
    assert "Rollback complete: aaaaaaaaaaaa" in result.stdout


def test_deploy_stops_at_the_first_failing_step(site: Site) -> None:
    site.released(A)
    result = site.run("deploy.sh", FAKE_NPM_FAIL="1")
    assert result.returncode != 0
    assert "FAILED at: 2. Building frontend" in result.stderr
    assert not any(call.startswith("docker") for call in site.calls())
    assert (site.state / "current").read_text().strip() == A
    assert site.history()[-1] == [B, "failed", "build"]
    assert site.live() == f"{A}: spa {A}\n"


def test_a_failed_migration_leaves_the_running_release_alone(site: Site) -> None:
    site.released(A)
    result = site.run("deploy.sh", FAKE_MIGRATE_RC="1")
    assert result.returncode != 0
    assert "FAILED at: 4. Running database migrations" in result.stderr
    assert not any(" up -d" in call for call in site.calls())
    assert (site.state / "current").read_text().strip() == A
    # The old containers and the old SPA go on serving; the release is marked as failed.
    assert site.live() == f"{A}: spa {A}\n"
    assert site.history()[-1] == [B, "failed", "migrate"]
    assert not list((site.state / "spa").glob(".new-*"))
    listed = site.run("rollback.sh", "--list")
    assert f"{B} failed" in " ".join(listed.stdout.split())


def test_the_first_deploy_after_upgrading_turns_frontend_dist_into_a_symlink(site: Site) -> None:
    site.released_before_upgrade(A, B)
    site.env["FAKE_HEAD"] = C
    result = site.run("deploy.sh", FAKE_IMAGES=f"{A} {B} {C}")
    assert result.returncode == 0, result.stderr
    assert site.live() == f"{C}: spa {C}\n"
    # The folder that was live, and the build kept the old way, are kept the new way.
    assert (site.state / "spa" / B / "index.html").read_text() == f"spa {B}\n"
    assert (site.state / "spa" / A / "index.html").read_text() == f"spa {A}\n"
    assert not list(site.state.glob("dist-*"))
    # Releases recorded the old way count as healthy rollback targets.
    back = site.run("rollback.sh", FAKE_IMAGES=f"{A} {B} {C}")
    assert back.returncode == 0, back.stderr
    assert site.live() == f"{B}: spa {B}\n"
    # It had no compose file kept: the checkout's is used, and said so.
    assert "no compose file kept" in back.stderr
    assert f"-f {site.root}/docker-compose.prod.yml up -d" in site.compose_calls()[-1]


def test_a_release_deployed_again_gets_its_new_spa_build(site: Site) -> None:
    site.released(A, B)
    result = site.run("deploy.sh", SKIP_PULL="1")
    assert result.returncode == 0, result.stderr
    assert site.live() == f"{B}: spa {B}\n"
    assert not list((site.state / "spa").glob(".new-*"))
    assert site.history()[-2:] == [[B, "deployed"], [B, "healthy"]]


def test_rollback_goes_back_one_release_at_a_time(site: Site) -> None:
    site.released(A, B, C)
    images = f"{A} {B} {C}"
    first = site.run("rollback.sh", FAKE_IMAGES=images)
    assert first.returncode == 0, first.stderr
    assert (site.state / "current").read_text().strip() == B
    assert site.live() == f"{B}: spa {B}\n"
    # With the compose file that release was deployed with.
    assert (
        site.compose_calls()[-1]
        == f"{compose_prefix(site, B)}up -d --no-build --remove-orphans TAG={B}"
    )
    second = site.run("rollback.sh", FAKE_IMAGES=images)
    assert second.returncode == 0, second.stderr
    assert (site.state / "current").read_text().strip() == A
    assert site.live() == f"{A}: spa {A}\n"
    # The release rolled back from keeps its SPA build, so it can be rolled forward to.
    assert (site.state / "spa" / C / "index.html").read_text() == f"spa {C}\n"
    assert site.history()[-2:] == [[A, "rollback"], [A, "healthy"]]


def test_a_bare_rollback_skips_releases_that_failed(site: Site) -> None:
    site.released(A, B, C, outcomes={B: "failed"})
    listed = site.run("rollback.sh", "--list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [row[:2] for row in rows] == [[A, "healthy"], [B, "failed"], [C, "healthy"]]
    assert rows[-1][-1] == "(current)"
    result = site.run("rollback.sh", FAKE_IMAGES=f"{A} {B} {C}")
    assert result.returncode == 0, result.stderr
    assert (site.state / "current").read_text().strip() == A
    assert site.live() == f"{A}: spa {A}\n"


def test_rollback_downgrades_with_the_newer_image_before_switching(site: Site) -> None:
    site.released(A, B)
    result = site.run("rollback.sh", A, "--downgrade", "r0042", FAKE_IMAGES=A)
    assert result.returncode == 0, result.stderr
    downgrade = site.index_of(
        f"{compose_prefix(site, B)}run --rm backend alembic downgrade r0042 TAG={B}"
    )
    assert downgrade < site.index_of(
        f"{compose_prefix(site, A)}up -d --no-build --remove-orphans TAG={A}"
    )


def test_rollback_refuses_an_image_that_is_gone(site: Site) -> None:
    site.released(A, B)
    result = site.run("rollback.sh", FAKE_IMAGES=B)
    assert result.returncode == 2
    assert "teliporter-backend:aaaaaaaaaaaa is not on this machine" in result.stderr
    assert not any(" up -d" in call for call in site.calls())
    assert site.live() == f"{B}: spa {B}\n"


@pytest.mark.parametrize("setting", ["KEEP_RELEASES", "KEEP_IMAGES"])
def test_pruning_keeps_the_newest_healthy_releases_and_drops_failed_ones(
    site: Site, setting: str
) -> None:
    site.released(A, B, C, D, outcomes={C: "failed", D: "failed"})
    site.env["FAKE_HEAD"] = E
    result = site.run("deploy.sh", FAKE_IMAGES=f"{A} {B} {C} {D} {E} latest", **{setting: "2"})
    assert result.returncode == 0, result.stderr
    removed = {call.split()[3].split(":")[1] for call in site.calls() if "image rm" in call}
    # The new release and the last good one before it; two failed ones did not push B out.
    assert removed == {A, C, D}
    assert sorted(p.name for p in (site.state / "spa").iterdir()) == [B, E]
    assert sorted(p.name for p in (site.state / "releases").iterdir()) == [B, E]


def test_the_hooks_of_the_container_tests(site: Site, tmp_path: Path) -> None:
    site.released(A)
    override = tmp_path / "override.yml"
    override.write_text("name: teliporter-ci\n")
    hooks = {
        "TELIPORTER_COMPOSE_OVERRIDE": str(override),
        "NGINX_RELOAD_CMD": f'echo "reloaded $TELIPORTER_TAG" >{tmp_path}/nginx && true',
        "SKIP_PULL": "1",
    }
    result = site.run("deploy.sh", **hooks)
    assert result.returncode == 0, result.stderr
    assert not any(call.startswith(("git pull", "sudo")) for call in site.calls())
    assert (tmp_path / "nginx").read_text() == f"reloaded {B}\n"
    kept = site.state / "releases" / B / "docker-compose.prod.yml"
    expected = (
        f"docker compose --project-directory {site.root} -p teliporter-ci -f {kept} -f {override} "
    )
    assert site.compose_calls() and all(c.startswith(expected) for c in site.compose_calls())

    back = site.run("rollback.sh", FAKE_IMAGES=A, **hooks)
    assert back.returncode == 0, back.stderr
    assert site.compose_calls()[-1].startswith(
        f"docker compose --project-directory {site.root} -p teliporter-ci "
        f"-f {site.state}/releases/{A}/docker-compose.prod.yml -f {override} up -d"
    )


def test_git_ignores_the_spa_symlink_and_the_deploy_state(tmp_path: Path) -> None:
    # `git pull` in deploy.sh must not see frontend/dist (now a symlink, which a `dist/`
    # pattern does not match) or .deploy/ as files of its own.
    repo = tmp_path / "repo"
    (repo / ".deploy" / "spa" / A).mkdir(parents=True)
    (repo / "frontend").mkdir()
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    (repo / "frontend" / "dist").symlink_to(f"../.deploy/spa/{A}")
    (repo / "frontend" / ".dist.swap").symlink_to(f"../.deploy/spa/{A}")
    (repo / ".deploy" / "history").write_text("")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout.split() == ["??", ".gitignore"]
