"""A podman of a test's own, to build and run tracedesk's image (deploy/container/) on a
machine that has no container engine running and cannot reach an image registry:

- rootful podman whose storage, run state, temp files and network configuration are in
  a directory made for the test and removed afterwards; images are never pulled;
- runc rather than crun, with cgroupfs: crun refuses a host whose cgroup v2 hierarchy
  has controllers while v1 is mounted too (hybrid), as this project's test machines
  do; no systemd (events in a file, logs in the container's directory, health checks
  run by the test);
- explicit, modest limits: as root podman asks for 1048576 open files and 4194304
  processes, which only CAP_SYS_RESOURCE may set, and sandboxes drop it;
- a stand-in for python:3.11-slim-bookworm (the Containerfile's PYTHON_IMAGE), made by
  debootstrap from Debian's packages: bookworm's python3 is 3.11, as the image's.

Debian's root file system takes a minute or two to make; it is kept for the day in
~/.cache/tracedesk/container-base/ (XDG_CACHE_HOME) and older ones removed, so that a
second run the same day starts from it. Removing the directory is always safe.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.debian_packages import install_when_missing, unavailable

PACKAGES: Final = ("podman", "runc", "debootstrap")
PODMAN: Final = "/usr/bin/podman"
# Where Debian's packages put them: root's PATH is not always the tests' PATH.
DEBOOTSTRAP: Final = "/usr/sbin/debootstrap"
PROGRAMS: Final = (PODMAN, "/usr/sbin/runc", DEBOOTSTRAP)
DEBIAN_MIRROR: Final = "http://deb.debian.org/debian"
# What python:3.11-slim-bookworm has that the Containerfile uses: Python 3.11 with venv
# (and ensurepip), `python` on the PATH, and useradd (in minbase's passwd).
BASE_PACKAGES: Final = ("python3", "python3-venv", "python-is-python3")
STAND_IN_BASE: Final = "localhost/tracedesk-test-python"
# Trusted by the machine that runs the build: pip in the build reaches PyPI through the
# same network, which may inspect TLS with a certificate authority of its own.
HOST_CERTIFICATES: Final = Path("/etc/ssl/certs/ca-certificates.crt")
# The one place rootful podman still writes outside the directories it is given (with
# --network-config-dir, not even a lock in /etc/cni): containers/image keeps its blob
# cache there. Removed afterwards if the test made it.
BLOB_CACHE: Final = (Path("/var/lib/containers"), Path("/var/lib/containers/cache"))
# Enough for a server's processes and a build's pip; lowering a limit needs no privilege.
LIMIT: Final = 4096


@dataclass(frozen=True)
class Podman:
    """podman with everything it keeps under `directory`; called with its arguments."""

    directory: Path
    storage_driver: str

    def command(self, *arguments: str) -> list[str]:
        here = self.directory
        return [
            PODMAN,
            *("--root", str(here / "root"), "--runroot", str(here / "run")),
            *("--tmpdir", str(here / "tmp"), "--network-config-dir", str(here / "networks")),
            *("--storage-driver", self.storage_driver, "--runtime", "runc"),
            *("--cgroup-manager", "cgroupfs", "--events-backend", "file"),
            *arguments,
        ]

    def __call__(
        self,
        *arguments: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - podman, arguments of the tests' own
            self.command(*arguments),
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def must(self, *arguments: str, timeout: float = 60) -> str:
        """What the command prints; an AssertionError with its errors if it fails."""
        done = self(*arguments, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"podman {' '.join(arguments)}:\n{done.stderr[-4000:]}")
        return done.stdout


def limits() -> list[str]:
    """--ulimit options for `build` and `run`."""
    options = []
    for name, which in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        hard = resource.getrlimit(which)[1]
        value = LIMIT if hard == resource.RLIM_INFINITY else min(LIMIT, hard)
        options += ["--ulimit", f"{name}={value}:{value}"]
    return options


def _installed() -> bool:
    return all(Path(program).exists() for program in PROGRAMS)


def _storage_driver(directory: Path) -> str:
    """overlay where the kernel lets the directory hold it, else vfs (a full copy per
    layer: slower, and works anywhere)."""
    probe = Podman(directory / "probe", "overlay")
    works = probe("info", timeout=60).returncode == 0
    shutil.rmtree(probe.directory, ignore_errors=True)
    return "overlay" if works else "vfs"


@contextmanager
def private_podman() -> Iterator[Podman]:
    """podman, until the block ends; then every container, image and volume it made is
    removed, with its directory. Skipped (failed where CI requires it) when podman
    cannot be had or the tests do not run as root."""
    install_when_missing(PACKAGES, _installed)
    if not _installed():
        unavailable(f"podman is not installed (apt-get install {' '.join(PACKAGES)})")
    if os.geteuid() != 0:
        # Rootless podman needs subordinate ids and user namespaces set up for the user.
        unavailable("the container drill runs podman as root")
    made_here = [path for path in BLOB_CACHE if not path.exists()]
    # Images are large: on disk rather than in a /tmp that may be memory.
    directory = Path(tempfile.mkdtemp(prefix="tracedesk-podman-", dir="/var/tmp"))  # noqa: S108
    podman = Podman(directory, _storage_driver(directory))
    try:
        yield podman
    finally:
        podman("rm", "--all", "--force", "--time", "0")
        podman("system", "reset", "--force", timeout=120)
        _unmount_under(directory)
        shutil.rmtree(directory, ignore_errors=True)
        for path in made_here:
            shutil.rmtree(path, ignore_errors=True)


def _unmount_under(directory: Path) -> None:
    """What podman may have left mounted if it was interrupted (overlay layers, shm)."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    points = [point for point in mounts if Path(point).is_relative_to(directory)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True, timeout=30)  # noqa: S603, S607


def stand_in_base(podman: Podman) -> str:
    """Debian bookworm's minimal system with Python 3.11, imported into `podman` as an
    image to give the Containerfile as PYTHON_IMAGE."""
    tarball = _debian_root_file_system()
    podman.must(
        *("import", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]'),
        *(str(tarball), STAND_IN_BASE),
        timeout=300,
    )
    return STAND_IN_BASE


def _cache_directory() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tracedesk" / "container-base"


def _debian_root_file_system() -> Path:
    """The root file system as a tarball: today's from the cache, else made now (and
    cached in place of older ones). The host's certificate authorities are part of it and
    of its name, so that a change of them makes a new one."""
    certificates = HOST_CERTIFICATES.read_bytes() if HOST_CERTIFICATES.exists() else b""
    key = hashlib.sha256(certificates + " ".join(BASE_PACKAGES).encode()).hexdigest()[:12]
    cache = _cache_directory()
    tarball = cache / f"bookworm-minbase-{datetime.date.today().isoformat()}-{key}.tar"
    if tarball.exists():
        return tarball
    cache.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="tracedesk-debootstrap-", dir="/var/tmp"))  # noqa: S108
    partial = tarball.with_suffix(".partial")
    try:
        made = subprocess.run(  # noqa: S603 - debootstrap, fixed arguments
            [
                *(DEBOOTSTRAP, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}"),
                *("bookworm", str(root), DEBIAN_MIRROR),
            ],  # noqa: S607
            # It runs chroot, dpkg and the packages' scripts, from sbin too.
            env=os.environ | {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            capture_output=True,
            text=True,
            timeout=900,
        )
        if made.returncode != 0:
            raise AssertionError(f"debootstrap failed:\n{made.stdout[-3000:]}{made.stderr}")
        if certificates:
            (root / "etc/ssl/certs/ca-certificates.crt").write_bytes(certificates)
        # What debootstrap downloaded to install is not part of the system.
        packed = subprocess.run(  # noqa: S603 - tar, fixed arguments
            [
                *("tar", "--numeric-owner", "-C", str(root), "-cf", str(partial)),
                *("--exclude=./var/cache/apt/archives/*.deb", "--exclude=./var/lib/apt/lists/*"),
                ".",
            ],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=300,
        )
        if packed.returncode != 0:
            raise AssertionError(f"tar failed: {packed.stderr}")
        for older in cache.glob("bookworm-minbase-*.tar"):
            older.unlink()
        partial.rename(tarball)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        # debootstrap mounts /proc and /sys in the system it makes; one that failed may
        # have left them.
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)
    return tarball
