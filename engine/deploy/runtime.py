"""The ``workbench-runtime`` wheel: the workbench code a downloaded model file needs, as one pip-installable file.

A model file names the module of every class it holds (``engine.prepare.transformers.KindCaster`` …), so
``joblib.load`` outside the workbench fails with "No module named 'engine'". The wheel carries exactly the
``engine`` modules unpickling imports (found as the deployment bundle finds them: ``pickled_modules`` closed over
``engine_modules``), with empty package ``__init__``s (the real one imports the whole library) except the top one,
which installs ``engine.legacy``: a file written before the engine moved into stage packages names the old module
paths (``engine.transformers``). The import name stays ``engine`` because that is what the files name. Its
metadata pins the packages those modules and the file import, at the versions installed here. The version is
``1.0+<hash>`` of the wheel's contents, so two different codes (or pins) never share a version, and the same
inputs give the same bytes.

The wheel is written with the standard library (a wheel is a zip with ``*.dist-info/METADATA``, ``WHEEL`` and a
``RECORD`` of sha256 hashes; see the binary distribution format, PEP 427), so no build backend is needed.

>>> from sklearn.linear_model import LinearRegression
>>> wheel = build_wheel(LinearRegression())
>>> wheel.filename.startswith("workbench_runtime-1.0+") and wheel.filename.endswith("-py3-none-any.whl")
True
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import shlex
from collections.abc import Iterable
from typing import NamedTuple

from engine.deploy.bundle import (
    RUNTIME_DIR,
    distributions,
    engine_modules,
    engine_sources,
    pickled_modules,
    pins,
    third_party_modules,
    zip_files,
)

__all__ = ["DISTRIBUTION", "RuntimeWheel", "build_wheel", "install_command", "pins", "wheel_filename",
           "wheel_files"]

#: The wheel's distribution name (``pip install``, ``pip uninstall``); its import name is ``engine``.
DISTRIBUTION = "workbench-runtime"
#: The layout of the wheel; the part of the version after ``+`` is the hash of what is inside.
LAYOUT_VERSION = "1.0"
TAG = "py3-none-any"
REQUIRES_PYTHON = ">=3.11"
#: Loading a model file always needs joblib (a ``.joblib``) whatever the pickle names.
LOADING_PACKAGES = ("joblib",)
_NAME = DISTRIBUTION.replace("-", "_")  # the wheel file and dist-info folder spelling (PEP 427)


class RuntimeWheel(NamedTuple):
    """A built wheel: its file name (as pip needs it), bytes, pinned requirements, vendored modules and the
    distributions it requires (unpinned: ``wheel_filename`` of them and the modules tells whether it is current)."""

    filename: str
    data: bytes
    requires: tuple[str, ...]
    modules: tuple[str, ...]
    packages: tuple[str, ...]


def build_wheel(pipeline, types: Iterable[str] = ()) -> RuntimeWheel:
    """The wheel that lets ``pipeline``'s files load: its pickle's ``engine`` modules (plus those of ``types``, the
    dotted class names a skops file of it holds) and every ``engine`` module they import; pins as installed here."""
    found = pickled_modules(pipeline)
    roots = {m for m in found if m.split(".", 1)[0] == "engine"}
    roots |= {name.rsplit(".", 1)[0] for name in types if name.split(".", 1)[0] == "engine"}
    modules = engine_modules(roots | {"engine.legacy"})
    packages = distributions(found | third_party_modules(modules)) | set(LOADING_PACKAGES)
    version, files, requires = _layout(modules, packages)
    return RuntimeWheel(_filename(version), zip_files(wheel_files(files, version, requires)), requires,
                        tuple(sorted(modules)), tuple(sorted(packages)))


def wheel_filename(modules: Iterable[str], packages: Iterable[str]) -> str:
    """The file name a wheel of these modules and distributions gets from today's sources and installed versions
    (cheap: nothing is unpickled or zipped), e.g. to tell whether a wheel kept earlier is still current."""
    return _filename(_layout(modules, packages)[0])


def _layout(modules: Iterable[str], packages: Iterable[str]) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """(version, package files -> source, pinned requirements) of a wheel."""
    requires = pins(packages)
    files = {path[len(RUNTIME_DIR) + 1:]: text for path, text in engine_sources(modules).items()}
    return f"{LAYOUT_VERSION}+{_content_hash(files, requires)}", files, requires


def _filename(version: str) -> str:
    return f"{_NAME}-{version}-{TAG}.whl"


def install_command(wheel: RuntimeWheel, *, skops: bool = False) -> str:
    """The one ``pip install`` line that makes a model file load: the pinned packages and the wheel (and skops)."""
    extra = pins(["skops"]) if skops else ()
    return shlex.join(["pip", "install", *wheel.requires, *extra, f"./{wheel.filename}"])


def wheel_files(files: dict[str, str], version: str, requires: Iterable[str]) -> dict[str, bytes]:
    """The wheel's members: ``files`` (path -> source) plus ``METADATA``, ``WHEEL`` and the ``RECORD`` of them all."""
    dist_info = f"{_NAME}-{version}.dist-info"
    members = {path: text.encode() for path, text in files.items()}
    members[f"{dist_info}/METADATA"] = _metadata(version, requires).encode()
    members[f"{dist_info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: workbench\nRoot-Is-Purelib: true\n"
                                     f"Tag: {TAG}\n").encode()
    members[f"{dist_info}/top_level.txt"] = b"engine\n"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path in sorted(members):
        digest = base64.urlsafe_b64encode(hashlib.sha256(members[path]).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(members[path])])
    writer.writerow([f"{dist_info}/RECORD", "", ""])  # RECORD cannot hold its own hash
    members[f"{dist_info}/RECORD"] = record.getvalue().encode()
    return members


def _metadata(version: str, requires: Iterable[str]) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {DISTRIBUTION}", f"Version: {version}",
             "Summary: The workbench code a model file downloaded from Workbench needs to load (import name: engine)",
             f"Requires-Python: {REQUIRES_PYTHON}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return "\n".join(lines) + "\n"


def _content_hash(files: dict[str, str], requires: Iterable[str]) -> str:
    """12 hex digits of sha256 over the vendored sources and the pins, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{files[path]}\0".encode())
    digest.update("\n".join(requires).encode())
    return digest.hexdigest()[:12]
