"""docker-compose.yml follows the Compose specification and runs the whole stack safely."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from deploy_support import (
    COMPOSE_FILE,
    PORTS,
    QUEUES,
    REPO,
    SECRET_KEYS,
    by_kind,
    compose,
    compose_variables,
    interpolate,
    read_env_file,
    render,
)

APP_SERVICES = (*PORTS, *(f"{q}-worker" for q in QUEUES), "scheduler")
ENV_EXAMPLE = REPO / ".env.example"
MAKE_ENV = REPO / "deploy" / "make-env.sh"


def compose_spec() -> dict[str, Any]:
    """The Compose specification's JSON schema, as vendored by check-jsonschema (a dev dependency)."""
    try:
        vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    except ModuleNotFoundError:
        pytest.skip("check-jsonschema (which ships the Compose spec schema) is not installed")
    schema: dict[str, Any] = json.loads(vendor.joinpath("compose-spec.json").read_text())
    return schema


def test_compose_file_matches_the_compose_specification() -> None:
    jsonschema.validate(compose(), compose_spec())


def test_compose_schema_rejects_mistakes() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["gateway"]["healthcheck"] = {"test": ["CMD", "true"], "intervall": "5s"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, compose_spec())


def _docker_compose() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0
    ):
        return [docker, "compose"]
    return None


def test_docker_compose_itself_accepts_the_file(tmp_path: Path) -> None:
    command = _docker_compose()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed (schema test still ran)")
    env_file = tmp_path / ".env"
    subprocess.run(["sh", str(MAKE_ENV), str(env_file)], check=True, capture_output=True)
    result = subprocess.run(
        [
            *command,
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            "--profile",
            "flower",
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_only_the_gateway_is_published() -> None:
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway", "flower"}
    assert services["gateway"]["ports"] == ["${GATEWAY_PUBLISHED_PORT:-8000}:8000"]
    # Flower is optional and reachable from this machine only.
    assert services["flower"]["profiles"] == ["flower"]
    assert all(p.startswith("127.0.0.1:") for p in services["flower"]["ports"])


def test_datastores_keep_data_in_volumes_and_report_health() -> None:
    data = compose()
    for name, mount in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        service = data["services"][name]
        (volume,) = service["volumes"]
        source, target = volume.split(":")
        assert target == mount and source in data["volumes"]
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")


def test_everything_starts_after_a_successful_migration() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "-m", "common.migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_one_worker_per_queue_with_a_self_ping_healthcheck() -> None:
    services = compose()["services"]
    for queue in QUEUES:
        worker = services[f"{queue}-worker"]
        assert worker["command"] == [
            "celery",
            "-A",
            f"{queue}.tasks",
            "worker",
            "-Q",
            queue,
            "--concurrency=1",
            "--prefetch-multiplier=1",
            "-n",
            f"{queue}@%h",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
        ]
        assert f'--destination \\"{queue}@$$HOSTNAME\\"' in json.dumps(worker["healthcheck"]["test"])
        assert worker["image"] == services[queue]["image"]
        assert worker["stop_grace_period"] == "2h", "a stopping worker finishes its task"


def test_platform_containers_are_hardened() -> None:
    services = compose()["services"]
    for name in (*APP_SERVICES, "migrate"):
        service = services[name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        writable = list(service.get("tmpfs", [])) + [v.split(":")[1] for v in service.get("volumes", [])]
        assert writable == ["/tmp"], f"{name}: /tmp is its only writable path"


def test_env_example_defines_every_required_variable() -> None:
    variables = compose_variables()
    example = read_env_file(ENV_EXAMPLE)
    required = {name for name, default in variables.items() if default is None}
    assert required <= set(example), required - set(example)
    assert set(example) <= set(variables), "variables in .env.example that compose never reads"


def test_make_env_fills_every_secret_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    subprocess.run(["sh", str(MAKE_ENV), str(target)], check=True, capture_output=True)
    values = read_env_file(target)
    for secret in ("POSTGRES_PASSWORD", "JWT_SECRET", "SERVICE_TOKEN_SECRET", "PII_KEY"):
        assert len(values[secret]) == 64 and int(values[secret], 16) >= 0, secret
    assert len({values[s] for s in ("JWT_SECRET", "SERVICE_TOKEN_SECRET", "PII_KEY")}) == 3
    assert target.stat().st_mode & 0o077 == 0, ".env is readable by its owner only"
    again = subprocess.run(["sh", str(MAKE_ENV), str(target)], capture_output=True, check=False)
    assert again.returncode == 1 and read_env_file(target) == values


def test_compose_refuses_to_start_without_secrets() -> None:
    environment = compose()["services"]["gateway"]["environment"]
    with pytest.raises(KeyError, match="JWT_SECRET"):
        interpolate(environment["JWT_SECRET"], {})


def test_compose_and_kubernetes_give_the_same_settings(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    subprocess.run(["sh", str(MAKE_ENV), str(env_file)], check=True, capture_output=True)
    values = read_env_file(env_file)
    environment = {
        k: interpolate(v, values) for k, v in compose()["services"]["forecasting"]["environment"].items()
    }
    (config,) = by_kind(render("base"), "ConfigMap").values()
    # KEDA's REDIS_ADDRESS/REDIS_PASSWORD exist only in Kubernetes.
    assert set(environment) == set(config["data"]) | (SECRET_KEYS - {"REDIS_ADDRESS", "REDIS_PASSWORD"})
    for key, value in config["data"].items():
        if key not in ("APP_ENV", "CORS_ORIGINS", "LOG_LEVEL"):
            assert environment[key] == value, key
    assert environment["DATABASE_URL"] == (
        f"postgresql://smartretail:{values['POSTGRES_PASSWORD']}@postgres:5432/smartretail"
    )
