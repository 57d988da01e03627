"""Renders the Kubernetes manifests in deploy/k8s with kustomize, offline.

The kustomize built into kubectl (every machine image of this project has kubectl) or a
standalone `kustomize` binary does the work: the real one, so what the tests check is
what `kubectl apply -k` would send. Neither reaches the network to render.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# The directory names under deploy/k8s/ that can be rendered.
BASE = "base"
OVERLAYS = ("county",)


def k8s_dir(root: Path) -> Path:
    return root / "deploy" / "k8s"


def target_dir(root: Path, name: str) -> Path:
    """`base` or an overlay's name, as a directory under deploy/k8s."""
    if name == BASE:
        return k8s_dir(root) / BASE
    if name in OVERLAYS:
        return k8s_dir(root) / "overlays" / name
    raise ValueError(f"no kustomization {name!r}; there are {', '.join((BASE, *OVERLAYS))}")


def kustomize_command() -> list[str]:
    """The command that renders a kustomization directory given after it."""
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    raise RuntimeError(
        "neither kubectl nor kustomize is on PATH: install one (apt-get install kubectl, or"
        " go install sigs.k8s.io/kustomize/kustomize/v5) to render deploy/k8s"
    )


def render(directory: Path) -> str:
    """The multi-document YAML that `kubectl apply -k directory` would apply."""
    done = subprocess.run(
        [*kustomize_command(), str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"kustomize failed for {directory}:\n{done.stderr.strip()}")
    return done.stdout
