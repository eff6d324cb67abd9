"""The console as ES modules (issue 23): its pure helpers under `node --test`, every page built
through lit-html templates (no HTML strings: text is escaped by construction), every import
resolving, and the vendored view library byte for byte the pinned one."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

CONSOLE = ROOT / "alerts" / "console"
MODULES = sorted(CONSOLE.glob("*.js"))


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed (scripts/setup.sh installs it)")
def test_the_helpers_pass_under_node():
    result = subprocess.run(["node", "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"# pass [1-9]", result.stdout) and "# fail 0" in result.stdout


def test_pages_are_templates_never_html_strings():
    for module in MODULES:
        text = module.read_text(encoding="utf-8")
        for pattern in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert pattern not in text, f"{module.name} uses {pattern}"
        assert not re.search(r"window\.\w+\s*=[^=]", text), f"{module.name} hangs a global on window"
        assert not re.search(r"\bon[a-z]+\s*=\s*[\"'`]", text), f"{module.name} has an inline handler"


def test_every_import_resolves_and_the_pages_load_modules_only():
    for module in MODULES:
        for target in re.findall(r'from\s+"(\./[^"]+)"', module.read_text(encoding="utf-8")):
            assert (CONSOLE / target).is_file(), f"{module.name} imports {target}"
    for page in ("console.html", "login.html"):
        scripts = re.findall(r"<script[^>]*>", (CONSOLE / page).read_text(encoding="utf-8"))
        assert scripts and all('type="module"' in s and "src=" in s for s in scripts), (page, scripts)


def test_the_vendored_view_library_is_the_pinned_one():
    pin = json.loads((CONSOLE / "vendor" / "vendor.json").read_text())["lit-html"]
    body = (CONSOLE / "vendor" / pin["file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == pin["sha256"]
    assert (CONSOLE / "vendor" / "LICENSE-lit-html").is_file()
