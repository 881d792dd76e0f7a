"""The governance view in real headless Chromium (Debian's ``chromium``), driven over the DevTools protocol.

Lineage of two departments feeding a master register and a table shared with a third department is
posted to the stack's lineage service; the test signs in with the token, searches, opens a dataset
page, expands a collapsed department, narrows the depth and analyses a source column's impact,
checking the page and screenshots (size, not blank, colours of the departments drawn) at each step.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from silobreak.settings import Stack
from tests.openlineage_spec import problems

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WIDTH, HEIGHT = 1400, 900
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
    "--hide-scrollbars",
    f"--window-size={WIDTH},{HEIGHT}",
]


class Browser:
    """One Chromium page spoken to through the DevTools protocol over a websocket."""

    def __init__(self, profile: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
                break
            except (httpx.HTTPError, StopIteration):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.ws: ClientConnection = connect(url, max_size=None, open_timeout=10)
        self.next_id = 0
        self.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]  # type: ignore[no-any-return]

    def eval(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.1)

    def goto(self, url: str, ready: str) -> None:
        self.eval("document.body && (document.body.dataset.ready = '')")
        if self.eval("location.href") == url:
            self.eval("location.reload()")
        else:
            self.send("Page.navigate", url=url)
        self.wait(f"document.body && document.body.dataset.ready === {json.dumps(ready)}")

    def click(self, selector: str, ready: str | None = None) -> None:
        if ready:
            self.eval("document.body.dataset.ready = ''")
        found = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return false; "
            "e.dispatchEvent(new MouseEvent('click', {bubbles: true})); if (e.href && e.tagName === 'A') "
            "location.href = e.href; return true; })()"
        )
        assert found, f"nothing matches {selector}"
        if ready:
            self.wait(f"document.body.dataset.ready === {json.dumps(ready)}")

    def screenshot(self, path: Path) -> dict[str, Any]:
        """Save a PNG and return what Chromium's own decoder sees in it: size, colours, ink."""
        png = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(png))
        return self.eval(
            "(async () => { const blob = await (await fetch('data:image/png;base64," + png + "')).blob();"
            "const bmp = await createImageBitmap(blob); const c = new OffscreenCanvas(bmp.width, bmp.height);"
            "const g = c.getContext('2d'); g.drawImage(bmp, 0, 0);"
            "const d = g.getImageData(0, 0, bmp.width, bmp.height).data; const colours = new Map(); let ink = 0;"
            "for (let i = 0; i < d.length; i += 4) { const k = (d[i] >> 3) << 10 | (d[i+1] >> 3) << 5 | d[i+2] >> 3;"
            "colours.set(k, (colours.get(k) || 0) + 1); if (d[i] + d[i+1] + d[i+2] < 600) ink++; }"
            "const hex = (k) => '#' + [k >> 10, (k >> 5) & 31, k & 31].map((v) => (v << 3).toString(16)"
            ".padStart(2, '0')).join('');"
            "return {width: bmp.width, height: bmp.height, ink: ink / (d.length / 4), colours: colours.size,"
            "common: [...colours.entries()].filter(([, n]) => n > 150).map(([k]) => hex(k))}; })()"
        )

    def close(self) -> None:
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def _near(colours: list[str], target: str) -> bool:
    """A colour of the screenshot within the 5-bit quantisation of ``target``."""
    want = [int(target[i : i + 2], 16) for i in (1, 3, 5)]
    return any(all(abs(int(c[i : i + 2], 16) - w) <= 8 for i, w in zip((1, 3, 5), want, strict=True)) for c in colours)


def _facet(name: str, version: str, **body: Any) -> dict[str, Any]:
    url = f"https://openlineage.io/spec/facets/{version}/{name}.json#/$defs/{name}"
    return {"_producer": "https://example.org/test", "_schemaURL": url, **body}


def _dataset(
    ns: str, name: str, fields: list[str], departments: list[str], lineage: dict[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "schema": _facet("SchemaDatasetFacet", "1-2-0", fields=[{"name": f, "type": "text"} for f in fields]),
        "tags": _facet(
            "TagsDatasetFacet",
            "1-0-0",
            tags=[{"key": "department", "value": d, "source": "CONTRACT"} for d in departments]
            + [{"key": "sensitivity", "value": "L4" if f == "id_card_no" else "L2", "field": f} for f in fields],
        ),
    }
    if lineage:
        transformations = [{"type": "DIRECT", "subtype": "IDENTITY"}]
        facets["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            "1-2-0",
            fields={
                out: {
                    "inputFields": [
                        {"namespace": ns, "name": src, "field": field, "transformations": transformations}
                        for src, field in sources
                    ]
                }
                for out, sources in lineage.items()
            },
        )
    return {"namespace": ns, "name": name, "facets": facets}


def _post(api: httpx.Client, job: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]) -> None:
    for kind in ("START", "COMPLETE"):
        event = {
            "eventType": kind,
            "eventTime": "2026-11-26T10:00:00+00:00",
            "producer": "https://example.org/test",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": str(uuid.UUID(int=hash((job, "run")) & (2**128 - 1)))},
            "job": {"namespace": "tests-view", "name": job},
            "inputs": [{"namespace": d["namespace"], "name": d["name"]} for d in inputs],
            "outputs": outputs,
        }
        assert problems(event) == []  # valid OpenLineage, as every producer of the stack sends
        api.post("/api/v1/lineage", json=event).raise_for_status()


@pytest.fixture(scope="module")
def city_lineage(stack: Stack) -> dict[str, str]:
    """Health and civil affairs feed a master register, which traffic police read through a shared table."""
    tag = uuid.uuid4().hex[:6]
    ns = f"postgres://view-{tag}:5432"
    api = httpx.Client(
        base_url=stack.lineage_url, headers={"Authorization": f"Bearer {stack.credentials.lineage_token}"}, timeout=10
    )
    cols = ["id_card_no", "name"]
    raw_h = _dataset(ns, f"db.raw_health.visits_{tag}", cols, ["health"], {})
    raw_c = _dataset(ns, f"db.raw_civil_affairs.people_{tag}", cols, ["civil_affairs"], {})
    fillers = [_dataset(ns, f"db.raw_health.extra_{tag}_{i}", cols, ["health"], {}) for i in range(30)]
    stg_h = _dataset(
        ns, f"db.staging.stg_health__visits_{tag}", cols, ["health"], {c: [(raw_h["name"], c)] for c in cols}
    )
    stg_c = _dataset(
        ns,
        f"db.staging.stg_civil_affairs__people_{tag}",
        cols,
        ["civil_affairs"],
        {c: [(raw_c["name"], c)] for c in cols},
    )
    master = _dataset(
        ns,
        f"db.master.person_{tag}",
        cols,
        ["health", "civil_affairs"],
        {c: [(stg_h["name"], c), (stg_c["name"], c)] for c in cols},
    )
    share = _dataset(
        ns, f"db.shared.police_persons_{tag}", cols, ["traffic_police"], {c: [(master["name"], c)] for c in cols}
    )
    _post(api, f"stg_health_{tag}", [raw_h, *fillers], [stg_h])
    _post(api, f"stg_civil_{tag}", [raw_c], [stg_c])
    _post(api, f"master_{tag}", [stg_h, stg_c], [master])
    _post(api, f"share_{tag}", [master], [share])
    for d in (raw_h, raw_c, *fillers):
        _post(api, f"load_{d['name']}", [], [d])
    return {
        "ns": ns,
        "tag": tag,
        "raw": raw_h["name"],
        "master": master["name"],
        "share": share["name"],
        "stg_civil": stg_c["name"],
    }


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    page = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield page
    page.close()


def test_governance_view_in_chromium(
    stack: Stack, city_lineage: dict[str, str], browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots")
    base = f"{stack.lineage_url}/view/"
    tag = city_lineage["tag"]

    # signing in: the page asks for the token and refuses a wrong one
    browser.send("Page.navigate", url=base)
    browser.wait("document.querySelector('#login') && !document.querySelector('#login').hidden")
    browser.eval(
        "document.querySelector('#token').value = 'wrong'; document.querySelector('#login-form').requestSubmit()"
    )
    browser.wait("!document.querySelector('#login-error').hidden")
    token = json.dumps(stack.credentials.lineage_token)
    browser.eval(
        f"document.querySelector('#token').value = {token}; document.querySelector('#login-form').requestSubmit()"
    )
    browser.wait("document.body.dataset.ready === 'graph'")

    # search finds the raw table and its columns; the result opens the dataset page
    browser.eval(
        f"const s = document.querySelector('#search'); s.value = 'visits_{tag}'; s.dispatchEvent(new Event('input'))"
    )
    browser.wait("document.querySelectorAll('#results a.result').length >= 2")
    assert (
        browser.eval("[...document.querySelectorAll('#results a.result')].map(a => a.textContent).join('|')").count(
            f"visits_{tag}"
        )
        >= 2
    )
    browser.click(f"#results a.result[href*='raw_health.visits_{tag}']", ready="dataset")
    assert browser.eval("document.querySelector('#owner').textContent") == "health"
    schema = browser.eval("[...document.querySelectorAll('#schema tr[data-field]')].map(r => r.innerText).join('\\n')")
    assert "id_card_no" in schema and "L4" in schema
    quality = browser.eval("document.querySelector('#quality').innerText")
    assert f"health__visits_{tag}" in quality  # the feed this raw table is loaded by; no batch validated yet
    consumers = browser.eval("document.querySelector('#consumers').innerText")
    assert f"stg_health_{tag}" in consumers
    page = browser.screenshot(shots / "dataset.png")
    assert (page["width"], page["height"]) == (WIDTH, HEIGHT)
    assert page["ink"] > 0.01 and page["colours"] > 5

    # the graph around it: health expanded, the other departments collapsed into one box each
    browser.click("#show-in-graph", ready="graph")
    groups = browser.eval("[...document.querySelectorAll('.node[data-kind=group]')].map(n => n.dataset.id)")
    assert "group:civil_affairs" in groups and "group:traffic_police" in groups
    datasets = browser.eval("[...document.querySelectorAll('.node[data-kind=dataset]')].map(n => n.dataset.id)")
    assert any(city_lineage["raw"] in d for d in datasets) and not any(city_lineage["stg_civil"] in d for d in datasets)
    browser.eval("document.querySelector('.node[data-id=\"group:civil_affairs\"]').scrollIntoView({block: 'center'})")
    collapsed = browser.screenshot(shots / "graph-collapsed.png")
    civil_colour = browser.eval("colour('civil_affairs')")
    assert _near(collapsed["common"], civil_colour), "a collapsed department is a box filled with its colour"

    browser.click('.node[data-id="group:civil_affairs"]')
    browser.wait(
        "[...document.querySelectorAll('.node[data-kind=dataset]')]"
        f".some(n => n.dataset.id.includes('{city_lineage['stg_civil']}'))"
    )
    expanded = browser.screenshot(shots / "graph-expanded.png")
    assert (expanded["width"], expanded["height"]) == (WIDTH, HEIGHT)
    assert expanded["ink"] > 0.01
    assert (shots / "graph-expanded.png").read_bytes() != (shots / "graph-collapsed.png").read_bytes()

    # depth 1 keeps only the raw table's direct neighbours: the master register drops out
    wide = browser.eval("document.querySelectorAll('.node').length")
    browser.eval(
        "document.body.dataset.ready = ''; const d = document.querySelector('#depth'); d.value = '1';"
        "d.dispatchEvent(new Event('change'))"
    )
    browser.wait("document.body.dataset.ready === 'graph'")
    narrow_ids = browser.eval("[...document.querySelectorAll('.node')].map(n => n.dataset.id)")
    assert len(narrow_ids) < wide
    assert not any(city_lineage["master"] in n for n in narrow_ids)

    # impact of the source column: every downstream column, the shared tables, the consuming departments
    column = f"datasetField:{city_lineage['ns']}:{city_lineage['raw']}:id_card_no"
    browser.goto(base + "#impact?" + httpx.QueryParams({"id": column}).__str__(), ready="impact")
    rows = browser.eval("[...document.querySelectorAll('#impact-columns tr')].slice(1).map(r => r.innerText)")
    assert len(rows) == 3, rows  # staging, master, shared: id_card_no only, not name
    assert all("id_card_no" in r for r in rows)
    shared = browser.eval("document.querySelector('#impact-shared').innerText")
    assert city_lineage["master"] in shared and city_lineage["share"] in shared
    departments = browser.eval("document.querySelector('#impact-departments').innerText")
    assert "civil_affairs" in departments and "traffic_police" in departments and "health" not in departments
    impact = browser.screenshot(shots / "impact.png")
    assert impact["ink"] > 0.01 and _near(impact["common"], browser.eval("colour('traffic_police')"))


def test_the_sharing_pages_are_part_of_the_view_and_need_the_token(stack: Stack) -> None:
    base = f"{stack.lineage_url}/view/governance"
    assert httpx.get(f"{base}/reads", timeout=30).status_code == 401
    signed = {"Authorization": f"Bearer {stack.credentials.lineage_token}"}
    page = httpx.get(f"{base}/who-read", headers=signed, timeout=30)
    assert page.status_code == 200 and "Who read my records" in page.text
    reads = httpx.get(f"{base}/reads", headers=signed, timeout=30)
    assert reads.status_code == 200 and "Reads of shared data" in reads.text
