"""pytest plugin that runs AUTOMATIC1111's own API tests (their test/ folder, v1.10.1) against a
`qdiffusion-cli serve` instance.

Loaded with `-p qd_a1111_plugin` (run-a1111-tests.sh puts this folder on PYTHONPATH); their files
are used as they are, never copied into this repository (AGPL-3.0).

What it provides:
- `--base-url` and the session fixture `base_url`: A1111's tests take the server's address from
  the `base_url` fixture of the pytest-base-url plugin (their pyproject.toml sets
  `base_url = "http://127.0.0.1:7860"`); Debian has no package of that plugin, so this is the same
  option and fixture, nothing more.
- The list of tests that cannot pass yet or are not API tests, each with its reason (DESELECTED,
  IGNORED_MODULES below), printed at the start of the run.
- For each failed test, the last HTTP exchange it made (method, URL, request body with images
  elided, status, response body), in the report and, with `--qd-exchanges FILE`, as Markdown.
"""

import json
import os

import pytest

# Test modules that test A1111's Python internals in-process (they import `webui` / `modules`):
# no HTTP server, ours or theirs, can make them pass.
IGNORED_MODULES = {
    "test_face_restorers.py": "imports A1111's Python modules (modules.gfpgan_model, "
    "modules.codeformer_model) and runs them in-process; not an API test",
    "test_torch_utils.py": "imports A1111's Python module modules.torch_utils; not an API test",
}

# node id (relative to the test folder's parent) -> why it is deselected.
DESELECTED = {
    "test/test_img2img.py::test_img2img_sd_upscale_performed": "the \"SD upscale\" script "
    "(script_name 'sd upscale', upscaler Lanczos); QDiffusion has no such script yet",
}


def pytest_addoption(parser):
    group = parser.getgroup("qdiffusion")
    try:
        group.addoption("--base-url", metavar="URL", default=os.environ.get("PYTEST_BASE_URL"),
                        help="server to test, e.g. http://127.0.0.1:7860 (as pytest-base-url)")
    except ValueError:
        pass  # pytest-base-url is installed and owns the option
    group.addoption("--qd-exchanges", metavar="FILE", default=None,
                    help="append each failed test's HTTP exchange to FILE (Markdown)")
    group.addoption("--qd-no-deselect", action="store_true", default=False,
                    help="run the deselected tests too (to see how they fail)")


@pytest.fixture(scope="session")
def base_url(request):
    url = request.config.getoption("base_url")
    if not url:
        pytest.fail("no server address: pass --base-url http://127.0.0.1:PORT")
    return url.rstrip("/")


def pytest_ignore_collect(collection_path, config):
    return collection_path.name in IGNORED_MODULES or None


def _node_key(item):
    # "test/test_extras.py::name" whatever the rootdir is
    path = item.path
    return f"{path.parent.name}/{path.name}::{item.name}"


def pytest_collection_modifyitems(session, config, items):
    if config.getoption("qd_no_deselect"):
        return
    keep, drop = [], []
    for item in items:
        (drop if _node_key(item) in DESELECTED else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    lines = ["qdiffusion: not collected (not API tests):"]
    lines += [f"  {name}: {why}" for name, why in IGNORED_MODULES.items()]
    if config.getoption("qd_no_deselect"):
        lines.append("qdiffusion: --qd-no-deselect: running every API test")
    else:
        lines.append("qdiffusion: deselected until the feature exists:")
        lines += [f"  {node}: {why}" for node, why in DESELECTED.items()]
    return lines


# --- the last HTTP exchange of each test, shown when it fails ---------------------------------

def _elide(value):
    if isinstance(value, str) and len(value) > 120:
        return f"{value[:40]}...<{len(value)} chars>"
    if isinstance(value, list):
        return [_elide(v) for v in value]
    if isinstance(value, dict):
        return {k: _elide(v) for k, v in value.items()}
    return value


def _body_text(raw, limit=2000):
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        text = json.dumps(_elide(json.loads(raw)), indent=None)
    except ValueError:
        text = raw
    return text if len(text) <= limit else text[:limit] + f"...<{len(text)} chars>"


@pytest.fixture(autouse=True)
def _qd_record_exchanges(request, monkeypatch):
    try:
        import requests
    except ImportError:
        yield
        return
    exchanges = []
    original = requests.Session.request

    def recording(self, method, url, *args, **kwargs):
        try:
            response = original(self, method, url, *args, **kwargs)
        except Exception as e:  # connection refused, timeout: record it, re-raise
            exchanges.append((method, url, kwargs.get("json"), None, repr(e)))
            raise
        exchanges.append((method, url, kwargs.get("json"), response.status_code, response.content))
        return response

    monkeypatch.setattr(requests.Session, "request", recording)
    request.node._qd_exchanges = exchanges
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    exchanges = getattr(item, "_qd_exchanges", [])
    if not exchanges:
        return
    method, url, body, status, content = exchanges[-1]
    text = (f"{method.upper()} {url}\nrequest: {_body_text(json.dumps(body)) if body is not None else '(no JSON body)'}\n"
            f"status: {status}\nresponse: {_body_text(content)}\n"
            f"({len(exchanges)} request(s) in this test; this is the last)")
    report.sections.append(("qdiffusion: last HTTP exchange", text))
    path = item.config.getoption("qd_exchanges")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"### {_node_key(item)}\n\n```\n{text}\n```\n\n")
