"""The JavaScript clients from npm against the course hub (issue 31): `@huggingface/hub` (modelInfo with its default
revision HEAD, listModels, downloadFile, createRepo, uploadFiles with a small file and an LFS one) and
`@huggingface/inference` (a text classification), run by node; what they did is checked with huggingface_hub.

The packages are installed with npm into build/js-clients (git-ignored) at pinned versions; without node and npm
the test is skipped (.ci/run installs them, so CI runs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from huggingface_hub import InferenceClient, hf_hub_download

from course_hub.settings import course_org

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "js-clients"
PACKAGES = ("@huggingface/hub@2.17.5", "@huggingface/inference@4.13.30")
MODEL = f"{course_org()}/minilm-sentiment"
SCRIPT = r"""
import { modelInfo, listModels, downloadFile, createRepo, uploadFiles } from "@huggingface/hub";
import { textClassification } from "@huggingface/inference";

const [hubUrl, accessToken, model, newRepo] = process.argv.slice(2);
const repo = { type: "model", name: newRepo };
const out = {};
const info = await modelInfo({ name: model, hubUrl, accessToken });  // GET /api/models/{id}/revision/HEAD
out.modelInfo = { name: info.name, private: info.private };
out.listed = [];
for await (const m of listModels({ search: { owner: model.split("/")[0] }, hubUrl, accessToken, limit: 100 })) {
  out.listed.push(m.name);
}
const config = await downloadFile({ repo: { type: "model", name: model }, path: "config.json", hubUrl, accessToken });
out.config = JSON.parse(await config.text());
await createRepo({ repo, hubUrl, accessToken });
const big = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 31) % 251);
await uploadFiles({
  repo, hubUrl, accessToken, useXet: false,
  files: [
    { path: "hello.txt", content: new Blob(["hello from node"]) },
    { path: "weights.bin", content: new Blob([big]) },
  ],
});
out.classified = await textClassification({
  accessToken, endpointUrl: `${hubUrl}/models/${model}`, inputs: "I love this course!",
});
console.log(JSON.stringify(out));
"""

pytestmark = [pytest.mark.slow, pytest.mark.content]  # content: the course model (skipped unbuilt)


def _install() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed (apt-get install nodejs npm; .ci/run installs them)")
    WORK.mkdir(parents=True, exist_ok=True)
    if not all((WORK / "node_modules" / p.rsplit("@", 1)[0] / "package.json").exists() for p in PACKAGES):
        (WORK / "package.json").write_text('{"name": "js-clients", "private": true, "type": "module"}\n')
        npm = ["npm", "install", "--prefix", str(WORK), "--no-audit", "--no-fund", "--no-save", *PACKAGES]
        done = subprocess.run(npm, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise AssertionError(f"npm install failed:\n{done.stderr[-2000:]}")
    script = WORK / "clients.mjs"
    script.write_text(SCRIPT)
    return script


def test_js_clients_against_the_course_hub(hub, api, new_repo_id, tmp_path):
    script = _install()
    repo_id = new_repo_id()
    token = hub.token("alice")
    run = subprocess.run(
        ["node", str(script), hub.url, token, MODEL, repo_id], capture_output=True, text=True, timeout=300, cwd=WORK
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["modelInfo"] == {"name": MODEL, "private": False}
    assert MODEL in out["listed"]
    config = hf_hub_download(MODEL, "config.json", endpoint=hub.url, token=token, cache_dir=tmp_path)
    assert out["config"] == json.loads(Path(config).read_text())
    files = {f.path: f for f in api.list_repo_tree(repo_id)}
    assert {"hello.txt", "weights.bin"} <= set(files)
    assert files["weights.bin"].lfs is not None and files["weights.bin"].size == 2 * 1024 * 1024
    hello = hf_hub_download(repo_id, "hello.txt", endpoint=hub.url, token=token, cache_dir=tmp_path)
    assert Path(hello).read_text() == "hello from node"
    python = InferenceClient(model=f"{hub.url}/models/{MODEL}", token=token).text_classification("I love this course!")
    assert {c["label"] for c in out["classified"]} == {c.label for c in python}
    top = max(out["classified"], key=lambda c: c["score"])
    assert top["label"] == max(python, key=lambda c: c.score).label
