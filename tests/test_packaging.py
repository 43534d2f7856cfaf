"""The package a user installs: a free distribution name, a licence, a wheel that holds
every import package, and install lines that name it."""

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = "authkit-server"


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_distribution_name_and_extras_use_the_free_name():
    project = pyproject()["project"]
    assert project["name"] == DIST
    assert all(dep.startswith(f"{DIST}[") for dep in project["optional-dependencies"]["all"])


def test_licence_file_matches_pyproject():
    assert pyproject()["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_gitignore_keeps_development_secrets_out():
    lines = (ROOT / ".gitignore").read_text().splitlines()
    assert ".authkit-secret" in lines and ".dev-secret" in lines


def test_every_install_line_names_the_distribution():
    texts = [ROOT / "README.md", *ROOT.glob("examples/*/README.md")]
    lines = [line for path in texts for line in path.read_text().splitlines()
             if "pip install" in line]
    assert lines
    for line in lines:
        for target in re.findall(r"pip install (?:-q )?(?:-e )?'?([^' ]+)", line):
            assert target.startswith((".", DIST, "-r")) or "[" not in target, line
            assert not target.startswith("authkit["), line
    readme = (ROOT / "README.md").read_text()
    assert f"pip install '{DIST}" in readme and "import name is `authkit`" in readme


def test_wheel_holds_every_import_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True,
                   timeout=300)
    wheel = next(tmp_path.glob("authkit_server-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("authkit/__init__.py", "authkit/py.typed", "flask_authkit/__init__.py",
                   "starlette_authkit/__init__.py"):
        assert needed in names
    assert not any(n.startswith(("tests/", "examples/")) for n in names)
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Name: {DIST}" in text and "License: MIT" in text
