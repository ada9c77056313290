"""The GitHub Actions workflow is valid and tests, builds every image and deploys the prod overlay."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_support import PORTS, REPO, dockerfiles

WORKFLOW = REPO / ".github" / "workflows" / "ci-cd.yml"


def workflow() -> dict[str, Any]:
    """The workflow as data; PyYAML reads the key `on` as True, as YAML 1.1 says."""
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return data


def _steps_text(job: str) -> str:
    return "\n".join(
        str(step.get("run", "")) + str(step.get("uses", "")) for step in workflow()["jobs"][job]["steps"]
    )


def test_workflow_matches_the_github_schema() -> None:
    try:
        vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    except ModuleNotFoundError:
        pytest.skip("check-jsonschema (which ships the GitHub workflow schema) is not installed")
    schema = json.loads(vendor.joinpath("github-workflows.json").read_text())
    # The schema expects the key `on`; PyYAML's YAML 1.1 turns it into True.
    data = {("on" if key is True else key): value for key, value in workflow().items()}
    jsonschema.validate(data, schema)


def test_tests_gate_images_and_images_gate_the_deploy() -> None:
    jobs = workflow()["jobs"]
    assert "bash .ci/run" in _steps_text("test")
    assert jobs["images"]["needs"] == "test"
    assert jobs["deploy"]["needs"] == "images"
    assert jobs["deploy"]["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def test_every_service_image_is_built_and_tagged_by_commit() -> None:
    images = workflow()["jobs"]["images"]
    assert sorted(images["strategy"]["matrix"]["service"]) == sorted(dockerfiles()) == sorted(PORTS)
    (build,) = [s for s in images["steps"] if str(s.get("uses", "")).startswith("docker/build-push-action")]
    assert build["with"]["file"] == "deploy/docker/Dockerfile"
    assert build["with"]["target"] == "${{ matrix.target }}"
    assert build["with"]["build-args"].splitlines() == [
        "SERVICE=${{ matrix.service }}",
        "PORT=${{ matrix.port }}",
    ]
    included = {row["service"]: row for row in images["strategy"]["matrix"]["include"]}
    assert {name: int(row["port"]) for name, row in included.items()} == PORTS
    assert {name: row["target"] for name, row in included.items()} == {
        name: image.target for name, image in dockerfiles().items()
    }
    assert build["with"]["context"] == "."
    assert build["with"]["tags"] == "${{ env.IMAGE }}:${{ github.sha }}"
    assert images["permissions"]["packages"] == "write"


def test_deploy_pins_the_commit_then_waits_for_migration_and_rollout() -> None:
    text = _steps_text("deploy")
    assert (
        'deploy/set-release.sh deploy/k8s/overlays/prod "ghcr.io/${GITHUB_REPOSITORY_OWNER,,}" "$GITHUB_SHA"'
        in text
    )
    assert "kubectl kustomize deploy/k8s/overlays/prod" in text
    assert text.index("set-release.sh") < text.index("kubectl apply") < text.index("job/migrate-$GITHUB_SHA")
    assert "rollout status" in text


def test_the_test_job_runs_what_ci_run_runs_as_root_on_debian() -> None:
    """Not a subset: .ci/run itself (Chromium included), as root on the images' Debian release."""
    test = workflow()["jobs"]["test"]
    assert [s.get("run") for s in test["steps"] if "run" in s] == ["bash .ci/run"]
    assert test["container"]["image"].endswith("-bookworm")
    assert "--privileged" in test["container"]["options"]  # the read-only image-tree mounts
    ci_run = (REPO / ".ci" / "run").read_text()
    assert "apt-get install -y -qq chromium" in ci_run and "make test" in ci_run


def test_uv_is_pinned_to_one_version_everywhere() -> None:
    """The Makefile installs the uv the Dockerfiles copy: the one that wrote uv.lock."""
    (makefile_pin,) = re.findall(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert "uv==$(UV_VERSION)" in (REPO / "Makefile").read_text()
    for service, build in dockerfiles().items():
        assert re.findall(r"ghcr\.io/astral-sh/uv:(\S+)", build.path.read_text()) == [makefile_pin], service
