"""The kustomize tree renders, matches the Kubernetes schemas and follows the platform's rules."""

from __future__ import annotations

import copy
import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
from deploy_support import (
    K8S,
    OVERLAYS,
    PORTS,
    QUEUES,
    REPO,
    SECRET_KEYS,
    Endpoint,
    Manifest,
    allowed,
    by_kind,
    compose,
    containers,
    dockerfile_stages,
    dockerfiles,
    endpoint_of,
    image_repository,
    image_tag,
    interpolate,
    kubectl_or_skip,
    pod_labels,
    pod_spec,
    render,
    selector_matches,
)

# kubernetes-validate re-reads its multi-megabyte definitions file on every call; read each schema
# file once per test session instead (a speed-up only: validation itself is unchanged).
if hasattr(kubernetes_validate.utils, "schema_contents"):
    kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)

# Oldest Kubernetes minor still in upstream support when this was written, and the newest bundled.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
KEDA_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "keda-v2.schema.json").read_text())
CRD_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}
HTTP_SERVICES = tuple(PORTS)
WORKERS = tuple(f"{queue}-worker" for queue in QUEUES)


def validate_manifest(manifest: Manifest, version: str) -> None:
    """Validate one manifest offline: core kinds by kubernetes-validate (strict), KEDA by our schema."""
    if (manifest["apiVersion"], manifest["kind"]) in CRD_KINDS:
        jsonschema.validate(manifest, KEDA_SCHEMA)
    else:
        kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_unique_objects(overlay: str) -> None:
    manifests = render(overlay)
    keys = [(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]) for m in manifests]
    assert len(keys) == len(set(keys)), "two objects share a kind, namespace and name"
    assert {
        "Deployment",
        "Service",
        "ServiceAccount",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
        "ConfigMap",
    } <= {m["kind"] for m in manifests}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_matches_the_kubernetes_schemas(overlay: str, version: str) -> None:
    errors = []
    for manifest in render(overlay):
        try:
            validate_manifest(manifest, version)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            errors.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {exc}")
    assert not errors, "\n".join(errors)


def test_schema_validation_rejects_mistakes() -> None:
    manifests = render("overlays/prod")
    deployment = copy.deepcopy(by_kind(manifests, "Deployment")["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}  # typo'd field
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_manifest(deployment, KUBERNETES_VERSIONS[0])
    scaled = copy.deepcopy(by_kind(manifests, "ScaledObject")["forecasting-worker"])
    scaled["spec"]["maxReplicas"] = 3  # HPA's name for it, not KEDA's
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(scaled, KUBERNETES_VERSIONS[0])
    scaled = copy.deepcopy(by_kind(manifests, "ScaledObject")["forecasting-worker"])
    scaled["spec"]["triggers"][0]["metadata"]["listLength"] = 5  # KEDA metadata values are strings
    with pytest.raises(jsonschema.ValidationError):
        validate_manifest(scaled, KUBERNETES_VERSIONS[0])


def _workloads(overlay: str) -> list[Manifest]:
    return [m for m in render(overlay) if pod_spec(m) is not None]


def _hardening_problems(manifest: Manifest) -> list[str]:
    spec = pod_spec(manifest) or {}
    pod_security = spec.get("securityContext", {})
    problems = []
    if spec.get("automountServiceAccountToken") is not False:
        problems.append("mounts a service-account token it does not need")
    for container in containers(spec):
        where = f"{manifest['kind']}/{manifest['metadata']['name']}/{container['name']}"
        security = container.get("securityContext", {})
        run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
        run_as_user = security.get("runAsUser", pod_security.get("runAsUser"))
        seccomp = security.get("seccompProfile", pod_security.get("seccompProfile", {}))
        if run_as_non_root is not True or not run_as_user:
            problems.append(f"{where}: not runAsNonRoot with a non-zero runAsUser")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allows privilege escalation")
        if security.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{where}: does not drop ALL capabilities")
        if security.get("capabilities", {}).get("add"):
            problems.append(f"{where}: adds capabilities")
        if seccomp.get("type") != "RuntimeDefault":
            problems.append(f"{where}: no RuntimeDefault seccomp profile")
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(bound, {}):
                    problems.append(f"{where}: no {resource} {bound[:-1]}")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_hardened_and_bounded(overlay: str) -> None:
    """Restricted Pod Security Standard plus resource requests and limits, init containers included."""
    problems = [p for m in _workloads(overlay) for p in _hardening_problems(m)]
    assert not problems, "\n".join(problems)


def test_hardening_check_catches_a_root_container() -> None:
    deployment = copy.deepcopy(by_kind(render("overlays/dev"), "Deployment")["pricing"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFilesystem"] = False
    del container["resources"]["limits"]
    assert len(_hardening_problems(deployment)) == 3


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_long_running_containers_have_liveness_and_readiness_probes(overlay: str) -> None:
    missing = [
        f"{m['metadata']['name']}/{c['name']}: {probe}"
        for m in _workloads(overlay)
        if m["kind"] != "Job"
        for c in containers(pod_spec(m) or {}, init=False)
        for probe in ("livenessProbe", "readinessProbe")
        if probe not in c
    ]
    assert not missing, "\n".join(missing)


def test_http_services_probe_health_and_ready_on_their_port() -> None:
    deployments = by_kind(render("base"), "Deployment")
    for name, port in PORTS.items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        ready = "/ready/gateway" if name == "gateway" else "/ready"  # the gateway's /ready waits for all
        assert container["readinessProbe"]["httpGet"] == {"path": ready, "port": "http"}
        assert container["command"] == [
            "uvicorn",
            f"{name}.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--no-access-log",
            *(["--proxy-headers"] if name == "gateway" else []),  # behind the ingress
        ]


def test_workers_ping_themselves_by_pod_name() -> None:
    deployments = by_kind(render("base"), "Deployment")
    for queue in QUEUES:
        (container,) = deployments[f"{queue}-worker"]["spec"]["template"]["spec"]["containers"]
        assert container["command"] == [
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
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            script = container[probe]["exec"]["command"]
            assert script[:2] == ["sh", "-c"]
            assert f'--destination "{queue}@$HOSTNAME"' in script[2]


def test_scale_in_lets_the_running_task_finish() -> None:
    deployments = by_kind(render("base"), "Deployment")
    for worker in WORKERS:
        # Celery's Redis visibility timeout (common.celery_app) is 7200 s.
        assert deployments[worker]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 7200


@pytest.mark.parametrize("overlay", ("overlays/dev", "overlays/prod"))
def test_platform_pods_write_only_to_an_emptydir_tmp(overlay: str) -> None:
    manifests = render(overlay)
    (config,) = by_kind(manifests, "ConfigMap").values()
    for variable in ("HOME", "NUMBA_CACHE_DIR", "MPLCONFIGDIR"):
        assert config["data"][variable].startswith("/tmp"), variable
    for manifest in _workloads(overlay):
        if pod_labels(manifest).get("app.kubernetes.io/component") not in (
            "gateway",
            "api",
            "worker",
            "migration",
        ):
            continue
        spec = pod_spec(manifest) or {}
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in containers(spec):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{manifest['metadata']['name']}: /tmp"
            sources = [
                e.get("configMapRef", e.get("secretRef", {})).get("name") for e in container["envFrom"]
            ]
            assert sources == [config["metadata"]["name"], "smartretail-secrets"]


# --- images and ports agree with the Dockerfiles and the compose file ------------------------------


def _compose_images() -> dict[str, dict[str, Any]]:
    """Compose services by image repository name (`smartretail-gateway`, `postgres`...)."""
    found: dict[str, dict[str, Any]] = {}
    for service in compose()["services"].values():
        found.setdefault(image_repository(interpolate(service["image"], {})), service)
    return found


def _exposed_port(service: str) -> int:
    runtime = dockerfile_stages(dockerfiles()[service])[-1]
    (exposed,) = runtime.args("EXPOSE")
    return int(exposed)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_built_by_a_dockerfile_or_run_by_compose(overlay: str) -> None:
    compose_images = _compose_images()
    compose_refs = {s["image"] for s in compose()["services"].values()}
    for manifest in _workloads(overlay):
        for container in containers(pod_spec(manifest) or {}):
            image = container["image"]
            repository = image_repository(image)
            if repository.startswith("smartretail-"):
                service = repository.removeprefix("smartretail-")
                assert service in dockerfiles(), f"{image}: no image build for {service}"
                built = compose_images[repository]["build"]
                image_build = dockerfiles()[service]
                assert built["dockerfile"] == str(image_build.path.relative_to(REPO))
                assert built["target"] == image_build.target
                assert built["args"] == image_build.build_args
            else:
                assert image in compose_refs, f"{image} is not the image docker-compose.yml runs"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ports_match_dockerfiles_and_compose(overlay: str) -> None:
    manifests = render(overlay)
    services = compose()["services"]
    for manifest in _workloads(overlay):
        for container in containers(pod_spec(manifest) or {}, init=False):
            repository = image_repository(container["image"])
            for port in container.get("ports", []):
                if repository.startswith("smartretail-"):
                    service = repository.removeprefix("smartretail-")
                    assert port["containerPort"] == PORTS[service] == _exposed_port(service)
                    command = services[service]["command"]
                    assert command[command.index("--port") + 1] == str(port["containerPort"])
    workloads = _workloads(overlay)
    for service in by_kind(manifests, "Service").values():
        (target,) = [
            w
            for w in workloads
            if selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(w))
        ]
        named = {
            p["name"]: p["containerPort"]
            for c in containers(pod_spec(target) or {}, init=False)
            for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in named, f"Service {service['metadata']['name']}: {port}"
            assert named[port["targetPort"]] == port["port"]


def test_kubernetes_and_compose_run_the_same_commands() -> None:
    services = compose()["services"]
    deployments = by_kind(render("base"), "Deployment")
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == services[name]["command"], name
    (job,) = by_kind(render("base"), "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == services["migrate"]["command"]


# --- scaling, disruption budgets, migrations ---------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_budgets_and_services_select_real_pods(overlay: str) -> None:
    manifests = render(overlay)
    deployments = by_kind(manifests, "Deployment")
    hpas = by_kind(manifests, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == set(HTTP_SERVICES)
    for hpa in hpas.values():
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for name, deployment in deployments.items():
        if name == "scheduler":
            # Exactly one Celery beat, never two, not even during a rollout.
            assert deployment["spec"]["replicas"] == 1
            assert deployment["spec"]["strategy"] == {"type": "Recreate"}
        else:
            assert "replicas" not in deployment["spec"], f"{name}: the autoscaler owns the replica count"
        budgets = [
            b
            for b in by_kind(manifests, "PodDisruptionBudget").values()
            if selector_matches(b["spec"]["selector"], pod_labels(deployment))
        ]
        assert len(budgets) == 1, f"{name}: {len(budgets)} PodDisruptionBudgets"
        assert budgets[0]["spec"] == {"maxUnavailable": 1, "selector": budgets[0]["spec"]["selector"]}
    for service in by_kind(manifests, "Service").values():
        matching = [
            w
            for w in manifests
            if pod_spec(w) is not None
            and selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(w))
        ]
        assert len(matching) == 1, f"Service {service['metadata']['name']} selects {len(matching)} workloads"


def test_keda_scales_each_worker_on_its_own_queue() -> None:
    manifests = render("overlays/prod")
    deployments = by_kind(manifests, "Deployment")
    scaled = by_kind(manifests, "ScaledObject")
    (auth,) = by_kind(manifests, "TriggerAuthentication").values()
    assert set(scaled) == set(WORKERS)
    for name, scaled_object in scaled.items():
        target = scaled_object["spec"]["scaleTargetRef"]["name"]
        assert target == name and target in deployments
        queue = deployments[target]["spec"]["template"]["spec"]["containers"][0]["command"][5]
        (trigger,) = scaled_object["spec"]["triggers"]
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["listName"] == queue == name.removesuffix("-worker")
        assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
        assert 1 <= scaled_object["spec"]["minReplicaCount"] < scaled_object["spec"]["maxReplicaCount"]
    # No CPU autoscaler fights KEDA over a worker.
    hpa_targets = {
        h["spec"]["scaleTargetRef"]["name"] for h in by_kind(manifests, "HorizontalPodAutoscaler").values()
    }
    assert not hpa_targets & {*WORKERS, "scheduler"}
    assert "scheduler" not in {so["spec"]["scaleTargetRef"]["name"] for so in scaled.values()}
    assert {ref["key"] for ref in auth["spec"]["secretTargetRef"]} <= SECRET_KEYS
    assert {ref["name"] for ref in auth["spec"]["secretTargetRef"]} == {"smartretail-secrets"}


@pytest.mark.parametrize(("overlay", "tag"), [("overlays/dev", "dev"), ("overlays/prod", "0.1.0")])
def test_migration_job_is_named_after_the_release_and_gates_every_pod(overlay: str, tag: str) -> None:
    manifests = render(overlay)
    (job,) = by_kind(manifests, "Job").values()
    assert job["metadata"]["name"] == f"migrate-{tag}"
    (migrate,) = job["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["python", "-m", "common.migrate"]
    assert image_repository(migrate["image"]) == "smartretail-gateway" and image_tag(migrate["image"]) == tag
    for name, deployment in by_kind(manifests, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        (wait,) = spec["initContainers"]
        assert wait["name"] == "wait-for-schema"
        assert wait["command"][:2] == ["python", "/app/deploy/docker/wait_for_schema.py"]
        assert wait["image"] == spec["containers"][0]["image"], name
        assert image_tag(wait["image"]) == tag


def test_prod_pins_one_release_tag_on_a_registry() -> None:
    images = {c["image"] for m in _workloads("overlays/prod") for c in containers(pod_spec(m) or {})}
    assert len(images) == len(HTTP_SERVICES)
    tags = {image_tag(image) for image in images}
    assert len(tags) == 1 and None not in tags and not tags & {"latest", "dev"}
    assert all(image.startswith("ghcr.io/") for image in images)


def test_prod_runs_at_least_two_replicas_and_dev_one() -> None:
    for hpa in by_kind(render("overlays/prod"), "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["minReplicas"] >= 2
    dev = render("overlays/dev")
    for hpa in by_kind(dev, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["minReplicas"] == hpa["spec"]["maxReplicas"] == 1
    assert {m["metadata"]["name"]: m["spec"]["replicas"] for m in by_kind(dev, "StatefulSet").values()} == {
        "postgres": 1,
        "redis": 1,
    }
    assert not by_kind(dev, "ScaledObject")
    assert not by_kind(render("overlays/prod"), "StatefulSet"), "prod uses managed PostgreSQL and Redis"


def test_dev_secret_holds_every_key_and_prod_documents_them() -> None:
    (secret,) = [
        m
        for m in render("overlays/dev")
        if m["kind"] == "Secret" and m["metadata"]["name"] == "smartretail-secrets"
    ]
    assert set(secret["data"]) == SECRET_KEYS
    assert not [m for m in render("overlays/prod") if m["kind"] == "Secret"], "prod secrets are not committed"
    documented = (REPO / "deploy" / "k8s" / "overlays" / "prod" / "secrets.env.example").read_text()
    assert {
        line.split("=", 1)[0] for line in documented.splitlines() if line and not line.startswith("#")
    } == SECRET_KEYS
    (config,) = by_kind(render("base"), "ConfigMap").values()
    assert not set(config["data"]) & SECRET_KEYS


# --- network policies ----------------------------------------------------------------------------


def _endpoints(overlay: str) -> tuple[list[Manifest], dict[str, Endpoint], str]:
    manifests = render(overlay)
    (namespace,) = by_kind(manifests, "Namespace")
    policies = [m for m in manifests if m["kind"] == "NetworkPolicy"]
    pods = {m["metadata"]["name"]: endpoint_of(m, namespace) for m in manifests if pod_spec(m) is not None}
    return policies, pods, namespace


def test_dev_network_policies_isolate_the_platform() -> None:
    policies, pods, namespace = _endpoints("overlays/dev")
    ingress_controller = Endpoint("ingress-nginx", (("app.kubernetes.io/name", "ingress-nginx"),))
    prometheus = Endpoint("monitoring", (("app.kubernetes.io/name", "prometheus"),))
    internet = Endpoint(ip="203.0.113.7")

    assert allowed(policies, ingress_controller, pods["gateway"], 8000)
    assert allowed(policies, internet, pods["gateway"], 8000)
    for service in QUEUES:
        port = PORTS[service]
        assert allowed(policies, pods["gateway"], pods[service], port), f"gateway -> {service}"
        assert not allowed(policies, ingress_controller, pods[service], port), f"outside -> {service}"
        assert not allowed(policies, pods[f"{service}-worker"], pods[service], port)
        assert allowed(policies, prometheus, pods[service], port), f"prometheus -> {service}"
    for name, pod in pods.items():
        if name in ("postgres", "redis"):
            continue
        assert allowed(policies, pod, pods["postgres"], 5432), f"{name} -> postgres"
        assert allowed(policies, pod, pods["redis"], 6379), f"{name} -> redis"
    for worker in WORKERS:
        assert not allowed(policies, pods[worker], internet, 443), f"{worker} -> internet"
        assert not allowed(policies, pods[worker], pods["gateway"], 8000), f"{worker} -> gateway"
        assert not allowed(policies, ingress_controller, pods[worker], 8000), f"outside -> {worker}"
    assert not allowed(policies, ingress_controller, pods["postgres"], 5432)
    assert not allowed(policies, ingress_controller, pods["redis"], 6379)
    assert namespace == "smartretail-dev"


def test_prod_network_policies_reach_managed_datastores_only_on_private_addresses() -> None:
    policies, pods, _ = _endpoints("overlays/prod")
    managed_postgres = Endpoint(ip="10.20.0.5")
    for worker in WORKERS:
        assert allowed(policies, pods[worker], managed_postgres, 5432)
        assert allowed(policies, pods[worker], Endpoint(ip="172.20.1.9"), 6379)
        assert not allowed(policies, pods[worker], Endpoint(ip="198.51.100.4"), 5432), "public address"
        assert not allowed(policies, pods[worker], managed_postgres, 22), "not a datastore port"
        assert not allowed(policies, pods[worker], pods["gateway"], 8000)


def test_policy_evaluator_sees_a_missing_deny() -> None:
    policies, pods, _ = _endpoints("overlays/dev")
    internet = Endpoint(ip="203.0.113.7")
    assert not allowed(policies, pods["forecasting-worker"], internet, 443)
    # Egress is open again once no egress policy selects the worker (Kubernetes' default).
    ingress_only = [p for p in policies if "Egress" not in p["spec"]["policyTypes"]]
    assert allowed(ingress_only, pods["forecasting-worker"], internet, 443)


# --- the release script -------------------------------------------------------------------------


def test_set_release_pins_images_and_the_migration_job(tmp_path: Path) -> None:
    kubectl_or_skip()
    shutil.copytree(K8S, tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "prod"
    script = REPO / "deploy" / "set-release.sh"
    result = subprocess.run(
        ["sh", str(script), str(overlay), "registry.example.com/acme/", "3f2c1e0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    manifests = render(overlay)
    images = {c["image"] for m in manifests if pod_spec(m) is not None for c in containers(pod_spec(m) or {})}
    assert images == {f"registry.example.com/acme/smartretail-{s}:3f2c1e0" for s in PORTS}
    assert set(by_kind(manifests, "Job")) == {"migrate-3f2c1e0"}
    refused = subprocess.run(
        ["sh", str(script), str(overlay), "r", "Not_A_Label"], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2
