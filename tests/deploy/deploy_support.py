"""Shared helpers of the deployment tests: render overlays, read Dockerfiles and the compose file."""

from __future__ import annotations

import functools
import ipaddress
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
COMPOSE_FILE = REPO / "docker-compose.yml"

# The lead's fixed runtime facts: one port per HTTP service, one queue per domain service.
PORTS = {
    "gateway": 8000,
    "ingest": 8001,
    "forecasting": 8002,
    "segmentation": 8003,
    "pricing": 8004,
    "inventory": 8005,
}
QUEUES = ("ingest", "forecasting", "segmentation", "pricing", "inventory")
OVERLAYS = ("base", "overlays/dev", "overlays/prod")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
# Every key the Secret smartretail-secrets must hold (the app's five, plus KEDA's two).
SECRET_KEYS = {
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "SERVICE_TOKEN_SECRET",
    "PII_KEY",
    "REDIS_ADDRESS",
    "REDIS_PASSWORD",
}

Manifest = dict[str, Any]


def tool_or_skip(name: str, why: str) -> str:
    """Path of a command-line tool, or skip the calling test saying `why` it is needed.

    Looked up on PATH, then where `make install` puts tools: the project's virtualenv (dev
    dependencies that ship a binary: hadolint, kubectl) and .tools/bin (uv itself).
    """
    for directory in (None, Path(sys.executable).parent, REPO / ".venv" / "bin", REPO / ".tools" / "bin"):
        path = shutil.which(name, path=None if directory is None else str(directory))
        if path is not None:
            return path
    pytest.skip(f"{name} is not installed ({why}); `make install` installs it")


def kubectl_or_skip() -> str:
    """Path of kubectl (which bundles kustomize), or skip the calling test with the reason."""
    return tool_or_skip("kubectl", "to render the kustomize overlays")


@functools.cache
def _render(directory: str) -> tuple[Manifest, ...]:
    result = subprocess.run(
        [kubectl_or_skip(), "kustomize", directory], capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render(directory: str | Path) -> list[Manifest]:
    """Every manifest `kubectl kustomize` renders from a kustomization directory (cached per path)."""
    path = Path(directory)
    return list(_render(str(path if path.is_absolute() else K8S / path)))


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    """Manifests of one kind, by name."""
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    """The pod template spec of a workload, None for other kinds."""
    if manifest["kind"] not in WORKLOAD_KINDS:
        return None
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


def pod_labels(manifest: Manifest) -> dict[str, str]:
    """Labels of a workload's pods."""
    labels: dict[str, str] = manifest["spec"]["template"]["metadata"].get("labels", {})
    return labels


def containers(spec: dict[str, Any], *, init: bool = True) -> Iterator[dict[str, Any]]:
    """The containers of a pod spec, init containers first when asked."""
    if init:
        yield from spec.get("initContainers", [])
    yield from spec.get("containers", [])


def image_repository(image: str) -> str:
    """`ghcr.io/acme/smartretail-gateway:abc` -> `smartretail-gateway` (last path part, no tag)."""
    without_digest = image.split("@", 1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def image_tag(image: str) -> str | None:
    """The tag of an image reference, None when it has none."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


# --- Dockerfiles ---------------------------------------------------------------------------------


@dataclass
class Stage:
    """One build stage of a Dockerfile: its base image, alias and instructions in order."""

    base: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        """The argument strings of every instruction with this keyword."""
        return [args for kw, args in self.instructions if kw == keyword]


DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
_BUILD_ARG = re.compile(r"\$\{(?P<braced>[A-Z_]+)\}|\$(?P<bare>[A-Z_]+)")


@dataclass(frozen=True)
class ImageBuild:
    """One service's image: the one Dockerfile, that service's build arguments and its target."""

    service: str
    path: Path = DOCKERFILE

    @property
    def target(self) -> str:
        """The stage built: the gateway's adds the dashboard, every other service uses `runtime`."""
        return "gateway" if self.service == "gateway" else "runtime"

    @property
    def build_args(self) -> dict[str, str]:
        """The --build-arg values of this service's image."""
        return {"SERVICE": self.service, "PORT": str(PORTS[self.service])}

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)


def _parse_stages(path: Path) -> list[Stage]:
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=parts[0], alias=alias))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def dockerfile_stages(image: Path | ImageBuild) -> list[Stage]:
    """Parse a Dockerfile into stages (continuation lines joined, comments dropped).

    For an ImageBuild: its build arguments substituted, the stages up to its target, and the
    target flattened with the stages it is built FROM (its base image, their instructions in order).
    """
    if not isinstance(image, ImageBuild):
        return _parse_stages(image)
    stages = _parse_stages(image.path)
    for stage in stages:
        stage.instructions = [
            (keyword, _BUILD_ARG.sub(lambda m: image.build_args.get(m["braced"] or m["bare"], m[0]), args))
            for keyword, args in stage.instructions
        ]
    by_alias = {stage.alias: stage for stage in stages if stage.alias}
    position = next(i for i, stage in enumerate(stages) if stage.alias == image.target)
    chain = [stages[position]]
    while chain[0].base in by_alias:
        chain.insert(0, by_alias[chain[0].base])
    flat = Stage(chain[0].base, image.target, [i for stage in chain for i in stage.instructions])
    return [*stages[:position], flat]


def dockerfiles() -> dict[str, ImageBuild]:
    """Every service's image build (one Dockerfile, per-service arguments), by service name."""
    return {service: ImageBuild(service) for service in sorted(PORTS)}


# --- docker compose ------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    """docker-compose.yml as data (YAML anchors and merge keys resolved, variables not)."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")


def compose_variables() -> dict[str, str | None]:
    """Every `${VAR...}` in the compose file: name -> its default (None when required or absent)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(COMPOSE_FILE.read_text().replace("$$", "")):
        op = match["op"] or ""
        default = match["arg"] if op in (":-", "-") else None
        if found.get(match["name"]) is None:
            found[match["name"]] = default
    return found


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose-style interpolation of one string (`${A}`, `${A:-d}`, `${A:?e}`; `$$` escapes)."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        current = env.get(name)
        if op in (":-", "-") and (current is None or (op == ":-" and current == "")):
            return arg
        if op in (":?", "?") and (current is None or (op == ":?" and current == "")):
            raise KeyError(f"{name}: {arg}")
        return current or ""

    return _VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# --- NetworkPolicy evaluation --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A pod (namespace, labels, named ports) or an address outside the cluster (ip)."""

    namespace: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    ports: tuple[tuple[str, int], ...] = ()
    ip: str | None = None

    @property
    def label_map(self) -> dict[str, str]:
        """The pod's labels as a dict."""
        return dict(self.labels)


def endpoint_of(manifest: Manifest, namespace: str) -> Endpoint:
    """The Endpoint of a workload's pods, with its named container ports."""
    spec = pod_spec(manifest) or {}
    ports = tuple(
        (p["name"], p["containerPort"])
        for c in containers(spec, init=False)
        for p in c.get("ports", [])
        if "name" in p
    )
    return Endpoint(namespace, tuple(sorted(pod_labels(manifest).items())), ports)


def _peer_matches(
    peer: dict[str, Any], other: Endpoint, policy_namespace: str, namespace_labels: dict[str, dict[str, str]]
) -> bool:
    if "ipBlock" in peer:
        if other.ip is None:
            return False
        address = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if other.ip is not None:
        return False
    if "namespaceSelector" in peer:
        ns_labels = namespace_labels.get(other.namespace, {"kubernetes.io/metadata.name": other.namespace})
        if not selector_matches(peer["namespaceSelector"], ns_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selector_matches(peer["podSelector"], other.label_map)


def _port_matches(rule_ports: list[dict[str, Any]], port: int, destination: Endpoint) -> bool:
    if not rule_ports:
        return True
    named = dict(destination.ports)
    for rule_port in rule_ports:
        if rule_port.get("protocol", "TCP") != "TCP":
            continue
        wanted = rule_port.get("port")
        if wanted is None or wanted == port or (isinstance(wanted, str) and named.get(wanted) == port):
            return True
    return False


def _direction_allows(
    policies: list[Manifest],
    subject: Endpoint,
    other: Endpoint,
    port: int,
    destination: Endpoint,
    direction: str,
    namespace_labels: dict[str, dict[str, str]],
) -> bool:
    if subject.ip is not None:
        return True  # Outside the cluster: no NetworkPolicy applies.
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    selecting = [
        p
        for p in policies
        if p["metadata"].get("namespace", "") == subject.namespace
        and direction in p["spec"].get("policyTypes", ["Ingress"])
        and selector_matches(p["spec"]["podSelector"], subject.label_map)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(key, []):
            peers = rule.get(peers_key)
            if peers and not any(
                _peer_matches(peer, other, policy["metadata"].get("namespace", ""), namespace_labels)
                for peer in peers
            ):
                continue
            if _port_matches(rule.get("ports", []), port, destination):
                return True
    return False


def allowed(
    policies: list[Manifest],
    source: Endpoint,
    destination: Endpoint,
    port: int,
    namespace_labels: dict[str, dict[str, str]] | None = None,
) -> bool:
    """Whether NetworkPolicies let `source` open a TCP connection to `destination` on `port`."""
    labels = namespace_labels or {}
    return _direction_allows(
        policies, source, destination, port, destination, "Egress", labels
    ) and _direction_allows(policies, destination, source, port, destination, "Ingress", labels)
