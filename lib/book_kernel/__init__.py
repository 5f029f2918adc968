"""The Jupyter kernel of the book's virtual environment: a local kernel with encrypted sockets.

Over TCP without encryption, ipykernel >= 7 warns on every start that notebook traffic is sent
in plain text. Every tool that executes the chapters (papermill on the command line,
``tools/run_chapters.py``, nbval) starts the kernel from the ``python3`` kernel spec, so the
fix lives there: ``python -m book_kernel`` (run by the Makefile's set-up) rewrites
``<venv>/share/jupyter/kernels/python3/kernel.json`` to launch the kernel through
:class:`EncryptedLocalProvisioner`, which asks jupyter_client to provision CurveZMQ keys
(``transport_encryption = "auto"``; ipykernel's spec declares ``supported_encryption: curve``).
The kernel then runs encrypted and prints nothing. Inside a virtual environment Jupyter prefers
the environment's kernel specs to the user's, so this spec is the one found.

jupyter_client also sends SIGINT before every shutdown request, to stop a cell that may still
run; when the kernel is idle, as after papermill's last cell, the signal can land in a message
handler and ipykernel logs "KeyboardInterrupt caught in kernel". The provisioner leaves that
signal out during a shutdown: the shutdown request follows, and a kernel that does not stop
is terminated by jupyter_client after ``shutdown_wait_time`` all the same.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

PROVISIONER_NAME = "book-encrypted-local"


class EncryptedLocalProvisioner(LocalProvisioner):
    """``LocalProvisioner`` that turns CurveZMQ transport encryption on unless told otherwise."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        manager = self.parent
        if manager is not None and getattr(manager, "transport_encryption", "") == "disabled":
            kwargs.setdefault("transport_encryption", "auto")
        return await super().pre_launch(**kwargs)

    async def send_signal(self, signum: int) -> None:
        """Pass signals on, except the SIGINT that precedes a shutdown request."""
        if signum == signal.SIGINT and getattr(self.parent, "shutting_down", False):
            return
        await super().send_signal(signum)


def kernel_spec() -> dict:
    """The ``python3`` kernel spec of this environment, launched by the encrypted provisioner."""
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict()
    spec["argv"][0] = "python"  # jupyter_client substitutes the launching interpreter
    spec.setdefault("metadata", {})
    spec["metadata"]["supported_encryption"] = ["curve"]
    spec["metadata"]["kernel_provisioner"] = {"provisioner_name": PROVISIONER_NAME, "config": {}}
    return spec


def install(prefix: str | Path = sys.prefix) -> Path:
    """Write the kernel spec into ``<prefix>/share/jupyter/kernels/python3/``; return its path."""
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kernel.json"
    path.write_text(json.dumps(kernel_spec(), indent=1) + "\n")
    return path
