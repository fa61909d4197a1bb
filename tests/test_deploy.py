"""What deploy/ ships, checked as systemd itself reads it: every unit verifies cleanly
against a throwaway root holding the paths it names, and runs the service as its own
user, with the code read-only and only its state directory writable."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.adapters.api.routes import health
from service.adapters.cli import _parser as cli_parser
from service.adapters.settings import Settings

DEPLOY = Path(__file__).parents[1] / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def test_the_server_and_the_worker_have_units() -> None:
    assert [unit.name for unit in UNITS] == ["tracedesk-worker.service", "tracedesk.service"]


@pytest.fixture
def throwaway_root(tmp_path: Path) -> Path:
    if shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir():
        pytest.skip("systemd is not installed here")
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    program = root / "opt/tracedesk/.venv/bin/tracedesk"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    (root / "etc/tracedesk").mkdir(parents=True)
    shutil.copy(DEPLOY / "tracedesk.env.example", root / "etc/tracedesk/tracedesk.env")
    installed = root / "etc/systemd/system"
    installed.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, installed)
    return root


@pytest.mark.parametrize("unit", [unit.name for unit in UNITS])
def test_systemd_verifies_the_unit_without_a_complaint(throwaway_root: Path, unit: str) -> None:
    verified = subprocess.run(  # noqa: S603 - systemd's own verifier, fixed arguments
        ["systemd-analyze", "verify", f"--root={throwaway_root}", unit],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_service_cannot_change_its_own_code(unit: Path) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(unit)
    service = parser["Service"]
    assert service["User"] == "tracedesk"
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "tracedesk"
    assert "ReadWritePaths" not in service, "the state directory is the only writable one"
    assert service["ExecStart"].startswith("/opt/tracedesk/.venv/bin/tracedesk ")
    assert service["EnvironmentFile"] == "/etc/tracedesk/tracedesk.env"


# --- the container image, compose and Kubernetes -------------------------------------

CONTAINER = DEPLOY / "container"
# The one writable place besides the state volume, on a read-only root file system.
SCRATCH = "/tmp"  # noqa: S108
KUBERNETES = DEPLOY / "kubernetes"


def _kubernetes_documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return documents


def _containers() -> list[dict[str, Any]]:
    found = []
    for document in _kubernetes_documents():
        if document["kind"] in ("Deployment", "Job"):
            found += document["spec"]["template"]["spec"]["containers"]
    return found


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CONTAINER / "compose.yaml").read_text("utf-8"))
    return loaded


def _commands() -> list[list[str]]:
    commands = [c["args"] for c in _containers()]
    commands += [s["command"] for s in _compose()["services"].values() if "command" in s]
    containerfile = (CONTAINER / "Containerfile").read_text(encoding="utf-8")
    commands.append(json.loads(re.search(r"^CMD (\[.*\])$", containerfile, re.M)[1]))  # type: ignore[index]
    return commands


def _variables() -> set[str]:
    texts = [p.read_text(encoding="utf-8") for p in [*CONTAINER.iterdir(), *KUBERNETES.iterdir()]]
    return {name for text in texts for name in re.findall(r"\bTRACEDESK_[A-Z_]+", text)}


def test_every_command_the_deployments_run_is_a_tracedesk_command() -> None:
    commands = _commands()
    assert {c[0] for c in commands} >= {"serve", "worker", "db"}
    for command in commands:
        assert hasattr(cli_parser().parse_args(command), "run"), command


def test_every_setting_the_deployments_name_is_a_setting() -> None:
    known = {f"TRACEDESK_{name.upper()}" for name in Settings.model_fields}
    # The migration's owner URL is the secret's own key, passed as the database URL.
    assert _variables() - known == {"TRACEDESK_OWNER_DATABASE_URL"}


def test_kubernetes_pods_run_unprivileged_read_only_and_bounded() -> None:
    containers = _containers()
    assert {c["name"] for c in containers} == {"api", "worker", "migrate"}
    for container in containers:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {SCRATCH}
    for document in _kubernetes_documents():
        if document["kind"] in ("Deployment", "Job"):
            pod = document["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True


def test_kubernetes_probes_ask_the_health_routes_and_a_budget_keeps_a_server() -> None:
    routes = {route.path for route in health.router.routes}  # type: ignore[attr-defined]
    (api,) = [c for c in _containers() if c["name"] == "api"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= routes
    (budget,) = [d for d in _kubernetes_documents() if d["kind"] == "PodDisruptionBudget"]
    (deployment,) = [
        d for d in _kubernetes_documents()
        if d["kind"] == "Deployment" and d["metadata"]["name"] == "tracedesk-api"
    ]  # fmt: skip
    assert (
        budget["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    )
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(listed["resources"]) == sorted(
        p.name for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_compose_migrates_first_and_runs_the_server_and_the_worker_read_only() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "api", "worker"}
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    for name in ("migrate", "api", "worker"):
        assert services[name]["read_only"] is True and SCRATCH in services[name]["tmpfs"]
        assert services[name]["environment"]["TRACEDESK_WORKER"] == "external"
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]


def test_the_image_runs_unprivileged_and_checks_readiness() -> None:
    containerfile = (CONTAINER / "Containerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER 10001:10001$", containerfile, re.M)
    health_check = containerfile.split("HEALTHCHECK", 1)[1].split("ENTRYPOINT", 1)[0]
    assert "/readyz" in health_check
    # Asked where the server listens, which TRACEDESK_PORT may have moved from 8000.
    assert "TRACEDESK_PORT" in health_check and ":8000" not in health_check
    copied = re.findall(r"^COPY (?!--from)(.+) \S+$", containerfile, re.M)
    ignored = (DEPLOY.parent / ".dockerignore").read_text(encoding="utf-8")
    for sources in copied:
        for source in sources.split():
            assert f"!{source.rstrip('/')}" in ignored.replace("/\n", "\n"), source


def test_both_stages_start_from_one_python_image_an_operator_keeps_by_default() -> None:
    containerfile = (CONTAINER / "Containerfile").read_text(encoding="utf-8")
    assert re.findall(r"^FROM (\S+)", containerfile, re.M) == ["${PYTHON_IMAGE}"] * 2
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm$", containerfile, re.M)


@pytest.mark.e2e
def test_the_image_gets_every_file_the_service_needs(tmp_path: Path) -> None:
    """The package built from exactly what .dockerignore lets into the image holds every
    file of service/ (templates, catalogues, vendored assets, migrations, demo data), so
    the image serves what a checkout does."""
    root = DEPLOY.parent
    source = tmp_path / "context"
    ignored = (root / ".dockerignore").read_text(encoding="utf-8")
    let_in = [line[1:].rstrip("/") for line in ignored.splitlines() if line.startswith("!")]
    for name in let_in:
        target = source / name
        if (root / name).is_dir():
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / name, target)
    built = subprocess.run(  # noqa: S603 - pip, building our own package
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("tracedesk-*.whl")
    packaged = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "service"],  # noqa: S607
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    missing = [path for path in tracked if path not in packaged]
    assert not missing, missing
