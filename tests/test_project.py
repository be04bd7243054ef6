"""The project itself: lint clean, layers kept, and the README's commands are the ones CI
runs."""

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT


def _ruff(*args):
    if (
        shutil.which("ruff") is None
        and subprocess.run(
            [sys.executable, "-m", "ruff", "--version"], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("ruff is not installed (it comes with the test extra)")
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_check_is_clean():
    result = _ruff("check", "supplychain", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _ruff("format", "--check", "supplychain", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_modules_import_only_from_layers_below_their_own():
    # the layers are listed in pyproject.toml ([tool.importlinter]); lint-imports reads
    # the source tree, not an installed copy
    if shutil.which("lint-imports") is None:
        pytest.skip("import-linter is not installed (it comes with the test extra)")
    result = subprocess.run(
        ["lint-imports", "--no-cache"],
        cwd=PROJECT,
        env=dict(os.environ, PYTHONPATH=str(PROJECT)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_has_a_place_in_the_layers():
    # a module missing from the list would be free to import anything
    import tomllib

    layers = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["importlinter"]
    listed = {
        name.strip() for layer in layers["contracts"][0]["layers"] for name in layer.split("|")
    }
    modules = {
        f"supplychain.{path.stem}"
        for path in (PROJECT / "supplychain").glob("*.py")
        if path.stem != "__init__"
    }
    assert modules - listed == set()


def test_no_module_imports_another_modules_private_names():
    private = [
        f"{path.name}:{statement.lineno} imports {alias.name} from {statement.module}"
        for path in sorted((PROJECT / "supplychain").glob("*.py"))
        for statement in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(statement, ast.ImportFrom)
        and (statement.module or "").startswith("supplychain")
        for alias in statement.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert private == []


def _readme_commands():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_commands_and_ci_runs_the_second():
    install_and_run, install_and_test = _readme_commands()
    assert install_and_run.endswith("supplychain report")
    install, test = (part.strip() for part in install_and_test.split("&&"))
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert lines.index(install) < lines.index(test)
    assert lines[-1] == test


@pytest.mark.parametrize("argv", [["--help"], ["graphs"], ["graphs", "--format", "json"]])
def test_commands_that_print_little_start_without_the_numeric_stack(argv):
    """``--help`` and ``graphs`` import neither numpy, pandas, scipy nor networkx: they took
    2 s to start when every command's dependencies were imported up front."""
    code = (
        "import sys, contextlib, io\n"
        "from supplychain.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main({argv!r})\n"
        "heavy = {'numpy', 'pandas', 'scipy', 'networkx', 'pydantic'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
