"""Dry run of each image without a Docker engine: the files a Dockerfile copies are enough.

The builder stage's COPY and `uv sync` instructions are replayed (read from the Dockerfile) into an
empty directory, offline from uv's cache; then, with that tree mounted read-only as in Kubernetes,
every module of the service and of `common` must import and the HTTP app must answer /health.
An import of a package the service does not declare fails here, as it would in the image.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from deploy_support import PORTS, REPO, dockerfile_stages, dockerfiles, tool_or_skip

pytestmark = pytest.mark.slow

IMPORT_ALL = """
import importlib, pkgutil, sys
names = []
for package in sys.argv[1:]:
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        # common.testing is the pytest plugin (a dev dependency); migrations' env.py runs Alembic.
        if info.name.startswith(("common.testing", "common.migrations")) or ".tests" in info.name:
            continue
        importlib.import_module(info.name)
        names.append(info.name)
print(len(names), "modules imported")
"""


# Debian packages present in python:3.11-slim-bookworm (essential set plus CPython's runtime libraries).
BASE_IMAGE_PACKAGES = {
    "libc6",
    "libgcc-s1",
    "libstdc++6",
    "zlib1g",
    "libssl3",
    "libffi8",
    "libsqlite3-0",
    "libbz2-1.0",
    "liblzma5",
    "libuuid1",
    "libexpat1",
    "libzstd1",
    "libcrypt1",
}


def _uv() -> str:
    return tool_or_skip("uv", "to replay the images' `uv sync` step")


def _read_only(command: list[str], tree: Path) -> list[str]:
    """Wrap a command so that `tree` is read-only for it (a private mount namespace), as in a pod."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount the image tree read-only")
    script = f'mount --bind "{tree}" "{tree}" && mount -o remount,bind,ro "{tree}" "{tree}" && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]


def _build_tree(service: str, root: Path) -> Path:
    """Replay the builder stage's COPY and `uv sync` steps into root/app; return the venv's python."""
    app = root / "app"
    app.mkdir()
    builder = next(s for s in dockerfile_stages(dockerfiles()[service]) if s.alias == "builder")
    environment = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(app / ".venv"),
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_LINK_MODE": "hardlink",
        "UV_NO_PROGRESS": "1",
    }
    environment.pop("VIRTUAL_ENV", None)
    for keyword, args in builder.instructions:
        if keyword == "COPY" and not args.startswith("--from"):
            *sources, destination = args.split()
            for source in sources:
                target = app / destination if destination not in ("./", ".") else app / Path(source).name
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source, target, ignore=shutil.ignore_patterns("__pycache__", "tests")
                    )
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(REPO / source, target)
        elif keyword == "RUN" and "uv sync" in args:
            sync = args.split("uv sync", 1)[1].split("&&", 1)[0]
            result = subprocess.run(
                [_uv(), "sync", *shlex.split(sync)],
                cwd=app,
                env=environment,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            assert result.returncode == 0, result.stderr[-3000:]
    return app / ".venv" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("service", sorted(PORTS))
def test_image_tree_imports_and_serves_health(service: str, tmp_path: Path) -> None:
    python = _build_tree(service, tmp_path)
    app = tmp_path / "app"
    writable = tmp_path / "tmp"
    writable.mkdir()
    environment = {
        "PATH": f"{python.parent}:/usr/bin:/bin",
        "HOME": str(writable),
        "TMPDIR": str(writable),
        "NUMBA_CACHE_DIR": str(writable / "numba-cache"),
        "MPLCONFIGDIR": str(writable / "mpl"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "APP_ENV": "development",
        "DATABASE_URL": "postgresql://nobody:none@127.0.0.1:9/none",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "DASHBOARD_DIR": str(app / "web" / "dist"),
    }
    packages = ["common", service]
    imported = subprocess.run(
        _read_only([str(python), "-c", IMPORT_ALL, *packages], app),
        cwd=writable,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]

    if not (app / "services" / service / "src" / service / "main.py").exists():
        pytest.skip(f"{service}.main does not exist yet: imports checked, /health not served")
    port = _free_port()
    server = subprocess.Popen(
        _read_only(
            [str(python), "-m", "uvicorn", f"{service}.main:app", "--host", "127.0.0.1", "--port", str(port)],
            app,
        ),
        cwd=writable,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, (server.stderr.read() if server.stderr else b"").decode()[
                    -3000:
                ]
                assert time.monotonic() < deadline, "no answer on /health"
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _debian_package(path: str) -> str:
    """The Debian package that owns a library file ('?' if none); merged /usr means two spellings."""
    real = os.path.realpath(path)
    for candidate in dict.fromkeys([path, real, real.replace("/usr/lib/", "/lib/", 1)]):
        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
        if owner.returncode == 0:
            return owner.stdout.split(":", 1)[0]
    return "?"


@pytest.mark.parametrize("service", sorted(PORTS))
def test_native_libraries_exist_in_the_runtime_image(service: str, tmp_path: Path) -> None:
    """Every system library the service's compiled wheels link is in the slim base or apt-installed."""
    if shutil.which("ldd") is None or shutil.which("dpkg") is None:
        pytest.skip("needs ldd and dpkg (a Debian host, like the image) to map libraries to packages")
    python = _build_tree(service, tmp_path)
    site_packages = next((python.parent.parent / "lib").glob("python3*/site-packages"))
    runtime = dockerfile_stages(dockerfiles()[service])[-1]
    installed = set(re.findall(r"apt-get install [^&]*", " ".join(runtime.args("RUN"))))
    apt_packages = {word for line in installed for word in line.split()[2:] if not word.startswith("-")}
    needed: dict[str, set[str]] = {}
    for library in site_packages.rglob("*.so*"):
        if not library.is_file():
            continue
        linked = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=False).stdout
        for resolved in re.findall(r"=> (/\S+)", linked):
            if str(site_packages) not in resolved:
                needed.setdefault(resolved, set()).add(library.name)
    missing = []
    for path, users in sorted(needed.items()):
        package = _debian_package(path)
        if package not in BASE_IMAGE_PACKAGES | apt_packages:
            missing.append(f"{path} ({package}) for {sorted(users)[:3]}")
    assert not missing, "not in the runtime image:\n" + "\n".join(missing)
