"""The Premiere panel (plugins/premiere): its JavaScript in Node against a fake `premierepro`
with a real daemon; the panel and the fake both held to Adobe's published type definitions
(npm @adobe/premierepro, pinned in tests/node/package.json); the manifest; the .ccx package."""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fakes.daemon import start_daemon

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent / "premiere"
NODE = Path(__file__).resolve().parent / "node"
PLUGIN = ROOT / "plugins" / "premiere"


def websocket_flag() -> list[str]:
    """Node 22+ has a global WebSocket; Node 20 (>= 20.10) needs the experimental flag."""
    probe = subprocess.run(["node", "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"])
    return [] if probe.returncode == 0 else ["--experimental-websocket"]


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed (apt-get install nodejs)")
def test_panel_in_node(tmp_path):
    d = start_daemon(tmp_path)
    try:
        env = dict(os.environ, DUBLINE_BRIDGE=d.bridge_url, DUBLINE_TOKEN_FILE=str(d.token_file))
        run = subprocess.run(["node", *websocket_flag(), "--test", str(TESTS / "panel.test.js"),
                              str(TESTS / "boot.test.js")],
                             env=env, capture_output=True, text=True, timeout=600)
    finally:
        d.stop()
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "# skipped 0" in report and "# fail 0" in report, report


# -- held to Adobe's definitions ------------------------------------------------------------

@pytest.fixture(scope="module")
def node_deps() -> Path:
    """tests/node with typescript and @adobe/premierepro installed (npm ci when missing).

    Skipped only where npm itself is absent; a failing install is a failure (CI has npm).
    """
    if not shutil.which("npm") or not shutil.which("node"):
        pytest.skip("node/npm are not installed (apt-get install nodejs npm)")
    needed = [NODE / "node_modules" / "typescript" / "package.json",
              NODE / "node_modules" / "@adobe" / "premierepro" / "src" / "premierepro.d.ts"]
    if not all(p.is_file() for p in needed):
        run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    pinned = json.loads((NODE / "package.json").read_text())["dependencies"]
    installed = json.loads((NODE / "node_modules/@adobe/premierepro/package.json").read_text())["version"]
    assert installed == pinned["@adobe/premierepro"] == "26.3.0"
    return NODE


def node(script: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(NODE / script), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_panel_type_checks_against_adobe_definitions(node_deps):
    tsc = subprocess.run(["npx", "--no-install", "tsc", "--noEmit", "-p", "."], cwd=node_deps, capture_output=True,
                         text=True, timeout=300)
    assert tsc.returncode == 0, tsc.stdout + tsc.stderr
    run = node("check_panel.js")
    assert run.returncode == 0, run.stdout + run.stderr
    assert ("checked 2 panel file(s): 0 type error(s), 0 await finding(s); fake held to "
            in run.stdout and "member(s): 0 mismatch(es)" in run.stdout), run.stdout


def _mutated_panel(tmp_path: Path, edits: list[tuple[str, str]]) -> list[str]:
    for name in ("main.js", "dubline.js"):
        shutil.copy(PLUGIN / name, tmp_path / name)
    main = (tmp_path / "main.js").read_text()
    for old, new in edits:
        assert old in main, old
        main = main.replace(old, new)
    (tmp_path / "main.js").write_text(main)
    return [str(tmp_path / "main.js"), str(tmp_path / "dubline.js")]


def test_a_missing_await_fails_the_check(node_deps, tmp_path):
    files = _mutated_panel(tmp_path, [
        ("const start = await item.getStartTime();", "const start = item.getStartTime();"),  # value used
        ("const ok = await project.importFiles(", "const ok = project.importFiles("),  # Promise is truthy
        ("const markers = await ppro.Markers.getMarkers(sequence);",
         "await ppro.Markers.getMarkers(sequence); const markers = await ppro.Markers.getMarkers(sequence);"
         " sequence.getAudioTrackCount();"),  # floating
        ("return (markers.getMarkers() || [])", "return ((await markers.getMarkers()) || [])"),  # sync awaited
    ])
    run = node("check_panel.js", *files)
    assert run.returncode == 1
    out = run.stdout
    assert "Property 'ticks' does not exist on type 'Promise<TickTime>'" in out, out
    assert "Project.importFiles() returns a Promise (premierepro.d.ts) and is not awaited" in out, out
    assert "Sequence.getAudioTrackCount() returns a Promise (premierepro.d.ts) and is not awaited" in out, out
    assert "a Promise is left floating" in out, out
    assert "Markers.getMarkers() is synchronous in premierepro.d.ts but is awaited" in out, out


def test_fake_premierepro_matches_the_definitions(node_deps):
    run = node("check_fake.js", "--list")
    assert run.returncode == 0, run.stdout
    assert re.search(r"checked \d+ premierepro member\(s\) .*: 0 mismatch\(es\)", run.stdout), run.stdout
    for member in ("AudioClipTrackItem.getStartTime method Promise", "Markers.getMarkers method\n",
                   "Project.importFiles method Promise", "Project.lockedAccess method\n", "TickTime.ticks property"):
        assert member in run.stdout, run.stdout


def test_a_drifting_fake_fails_the_check(node_deps, tmp_path):
    fake = (TESTS / "fake_premierepro.js").read_text()
    for old, new in [
        ("  async getStartTime() {", "  getStartTime() {"),  # the bug the issue found: a sync fake
        ("  getMarkers(filters) {", "  async getMarkers(filters) {"),
        ("  async getMediaFilePath() {", "  async mediaFilePath() {"),
        ("  get ticks() { return this._t.toString(); }", "  get ticks() { return this._t; }"),
    ]:
        assert old in fake, old
        fake = fake.replace(old, new)
    (tmp_path / "fake.js").write_text(fake)
    run = node("check_fake.js", "--fake", str(tmp_path / "fake.js"))
    assert run.returncode == 1
    out = run.stdout
    assert "AudioClipTrackItem.getStartTime: the d.ts says it returns a Promise, the fake's is synchronous" in out
    assert "Markers.getMarkers: the d.ts says it is synchronous, the fake's is async" in out
    assert "ClipProjectItem.getMediaFilePath (used at" in out and "missing from the fake" in out
    assert "TickTime.ticks: the d.ts types it string, the fake holds bigint" in out


def test_every_assumption_of_the_fake_is_on_the_checklist(node_deps):
    run = subprocess.run(["node", "-e", "process.stdout.write(JSON.stringify(require(process.argv[1]).ASSUMED))",
                          str(TESTS / "fake_premierepro.js")], capture_output=True, text=True, timeout=60)
    assumed = json.loads(run.stdout)
    assert len(assumed) >= 5
    checklist = (PLUGIN / "CHECKLIST.md").read_text()
    assert [k for k in assumed if f"`{k}`" not in checklist] == []
    fake = (TESTS / "fake_premierepro.js").read_text()
    assert "documented: the fake" not in fake and "# documented" not in fake
    assert [k for k in assumed if f"assumed: {k}" not in fake] == []  # each marked where it acts


# -- manifest, network and packaging ----------------------------------------------------------

def test_manifest_host_object_and_loopback_ip_only():
    manifest = json.loads((PLUGIN / "manifest.json").read_text())
    assert manifest["host"] == {"app": "premierepro", "minVersion": "25.6.0"}  # the packaging form
    domains = manifest["requiredPermissions"]["network"]["domains"]
    assert sorted(domains) == ["http://127.0.0.1:50152", "ws://127.0.0.1:50152"]
    from dubline.bridge.server import DEFAULT_BRIDGE_PORT

    assert DEFAULT_BRIDGE_PORT == 50152
    shipped = [p for p in PLUGIN.iterdir() if p.suffix in (".js", ".html", ".json")]
    assert {p.name for p in shipped} >= {"main.js", "dubline.js", "index.html", "manifest.json"}
    for p in shipped:  # no address by host name anywhere (the word appears only in the refusal text)
        assert not re.search(r"[a-z]+://localhost", p.read_text(), re.I), p
    assert 'const DEFAULT_BRIDGE = `http://${LOOPBACK}:50152`' in (PLUGIN / "dubline.js").read_text()
    assert 'const LOOPBACK = "127.0.0.1"' in (PLUGIN / "dubline.js").read_text()


def test_ccx_package_is_built_by_one_command(tmp_path):
    run = subprocess.run([sys.executable, str(PLUGIN / "package.py"), "--out", str(tmp_path / "a")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    ccx = Path(run.stdout.strip())
    assert ccx == tmp_path / "a" / "org.dubline.premiere_premierepro.ccx"
    with zipfile.ZipFile(ccx) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["manifest.json", "index.html", "main.js", "dubline.js"]
        for name in zf.namelist():
            assert zf.read(name) == (PLUGIN / name).read_bytes()
        assert json.loads(zf.read("manifest.json"))["host"]["app"] == "premierepro"
    again = subprocess.run([sys.executable, str(PLUGIN / "package.py"), "--out", str(tmp_path / "b")],
                           capture_output=True, text=True, timeout=60)
    assert Path(again.stdout.strip()).read_bytes() == ccx.read_bytes()  # reproducible

    # A development manifest (host as an array) cannot be packaged: one clear line, no file.
    dev = tmp_path / "dev"
    shutil.copytree(PLUGIN, dev, ignore=shutil.ignore_patterns("dist"))
    manifest = json.loads((dev / "manifest.json").read_text())
    manifest["host"] = [manifest["host"]]
    (dev / "manifest.json").write_text(json.dumps(manifest))
    bad = subprocess.run([sys.executable, str(dev / "package.py"), "--out", str(tmp_path / "c")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "'host' must be one object" in bad.stderr and bad.stderr.count("\n") == 1
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())
