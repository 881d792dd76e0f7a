// silobreak governance view: plain JS, no build step. Reads the JSON under api/ (same origin,
// signed in by an HttpOnly cookie) and draws graphs as SVG with a small layered layout.
"use strict";

const $ = (sel) => document.querySelector(sel);
const view = $("#view");
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
  "#9c755f", "#bab0ac"];
const FIXED = { "cross-department": "#8e6c8a", "unassigned": "#bab0ac" };
const state = { expanded: new Set(), graph: null };

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function colour(group) {
  if (FIXED[group]) return FIXED[group];
  let h = 0;
  for (const c of group) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
function short(name) { const p = name.split("."); return p.length > 2 ? p.slice(-2).join(".") : name; }
function link(hash, params) { return "#" + hash + "?" + new URLSearchParams(params).toString(); }
function badge(text, cls) { return text ? `<span class="badge ${esc(cls ?? text)}">${esc(text)}</span>` : ""; }
function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

async function api(path) {
  const response = await fetch("api/" + path, { credentials: "same-origin" });
  if (response.status === 401) { showLogin(); throw new Error("signed out"); }
  if (!response.ok) throw new Error((await response.json()).error ?? response.statusText);
  return response.json();
}

// ---- layout: layers by longest path (back edges of cycles ignored), order by barycentre ----
function layout(nodes, edges) {
  const ids = new Set(nodes.map((n) => n.id));
  const out = new Map(nodes.map((n) => [n.id, []]));
  const kept = edges.filter(([a, b]) => ids.has(a) && ids.has(b) && a !== b);
  for (const [a, b] of kept) out.get(a).push(b);
  const mark = new Map(); const back = new Set();
  const visit = (id) => {
    mark.set(id, 1);
    for (const next of out.get(id)) {
      if (mark.get(next) === 1) back.add(id + "\u0000" + next);
      else if (!mark.has(next)) visit(next);
    }
    mark.set(id, 2);
  };
  for (const n of nodes) if (!mark.has(n.id)) visit(n.id);
  const dag = kept.filter(([a, b]) => !back.has(a + "\u0000" + b));
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  for (const [, b] of dag) indegree.set(b, indegree.get(b) + 1);
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const dagOut = new Map(nodes.map((n) => [n.id, []]));
  for (const [a, b] of dag) dagOut.get(a).push(b);
  while (queue.length) {
    const id = queue.shift();
    for (const next of dagOut.get(id)) {
      layer.set(next, Math.max(layer.get(next), layer.get(id) + 1));
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) queue.push(next);
    }
  }
  const layers = [];
  for (const n of nodes) (layers[layer.get(n.id)] ??= []).push(n.id);
  const position = new Map();
  layers.forEach((ids_, i) => ids_.sort().forEach((id, j) => position.set(id, j)));
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const [a, b] of dag) preds.get(b).push(a);
  for (let sweep = 0; sweep < 2; sweep++) {
    layers.forEach((ids_, i) => {
      if (i === 0) return;
      const centre = (id) => { const p = preds.get(id); return p.length ? p.reduce((s, q) => s + position.get(q), 0) / p.length : position.get(id); };
      ids_.sort((a, b) => centre(a) - centre(b) || a.localeCompare(b)).forEach((id, j) => position.set(id, j));
    });
  }
  return { layer, position, layers: layers.map((l) => l ?? []), edges: kept };
}

const W = 230, H = 40, GX = 90, GY = 16;
function drawGraph(container, nodes, edges, onClick) {
  const { layer, position, layers, edges: shown } = layout(nodes, edges);
  const rows = Math.max(1, ...layers.map((l) => l.length));
  const width = Math.max(1, layers.length) * (W + GX) + 20;
  const height = rows * (H + GY) + 20;
  const at = (id) => [10 + layer.get(id) * (W + GX), 10 + position.get(id) * (H + GY)];
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  parts.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#9aa8b6"/></marker></defs>`);
  for (const [a, b] of shown) {
    const [x1, y1] = at(a); const [x2, y2] = at(b);
    const sx = x1 + W, sy = y1 + H / 2, tx = x2, ty = y2 + H / 2, mx = (sx + tx) / 2;
    parts.push(`<path class="edge" marker-end="url(#arrow)" d="M${sx},${sy} C${mx},${sy} ${mx},${ty} ${tx},${ty}"/>`);
  }
  for (const n of nodes) {
    const [x, y] = at(n.id);
    parts.push(`<g class="node ${n.focus ? "focus" : ""}" data-id="${esc(n.id)}" data-kind="${esc(n.kind)}" transform="translate(${x},${y})">` +
      `<title>${esc(n.title ?? n.label)}</title>` +
      `<rect width="${W}" height="${H}" rx="6" fill="${n.kind === "group" ? n.colour : "#fff"}"/>` +
      (n.kind === "group" ? "" : `<rect width="8" height="${H}" rx="3" fill="${n.colour}" stroke="none"/>`) +
      `<text x="14" y="16" fill="${n.kind === "group" ? "#fff" : "#1d2733"}" font-weight="600">${esc(n.label.slice(0, 30))}</text>` +
      `<text x="14" y="32" fill="${n.kind === "group" ? "#fff" : "#6b7a8c"}">${esc((n.sub ?? "").slice(0, 34))}</text></g>`);
  }
  parts.push("</svg>");
  container.innerHTML = parts.join("");
  container.querySelectorAll(".node").forEach((g) => g.addEventListener("click", () => onClick(g.dataset.id, g.dataset.kind)));
}

// ---- the dataset graph, collapsed by department ----
async function showGraph(params) {
  const focus = params.get("focus") ?? "";
  const depth = params.get("depth") ?? "3";
  view.innerHTML = `<h1>Lineage graph</h1><div class="toolbar">
    <label>Depth around the focus <select id="depth" ${focus ? "" : "disabled"}>${[1, 2, 3, 4, 5, 6, 8, 10].map((d) => `<option ${String(d) === depth ? "selected" : ""}>${d}</option>`).join("")}</select></label>
    <span id="focus-label" class="muted">${focus ? "focus: " + esc(focus.split(":").pop()) + ` <a href="#graph" id="clear-focus">(show all)</a>` : "no focus: every dataset (search, or open a dataset, to focus)"}</span>
    <span class="legend" id="departments"></span></div>
    <div class="canvas" id="graph"></div><p class="muted" id="graph-summary"></p>`;
  $("#depth").addEventListener("change", (e) => { location.hash = link("graph", { focus, depth: e.target.value }); });
  const data = await api("graph?" + new URLSearchParams(focus ? { focus, depth } : {}).toString());
  state.graph = data;
  const focusNode = data.nodes.find((n) => n.id === focus);
  if (focusNode) state.expanded.add(focusNode.group);
  renderGraph();
}

function renderGraph() {
  const data = state.graph;
  const groups = new Map();
  for (const n of data.nodes) (groups.get(n.group) ?? groups.set(n.group, []).get(n.group)).push(n);
  const shownId = new Map();
  const nodes = [];
  for (const [group, members] of [...groups.entries()].sort()) {
    if (state.expanded.has(group)) {
      for (const n of members) {
        shownId.set(n.id, n.id);
        nodes.push({ id: n.id, kind: "dataset", label: short(n.name), title: n.name, colour: colour(group),
          sub: [group, n.sensitivity, n.shared ? "shared" : ""].filter(Boolean).join(" · "), focus: n.id === data.focus });
      }
    } else {
      const id = "group:" + group;
      for (const n of members) shownId.set(n.id, id);
      nodes.push({ id, kind: "group", label: group, colour: colour(group), sub: `${members.length} datasets — click to expand`,
        focus: members.some((n) => n.id === data.focus) });
    }
  }
  const seen = new Set(); const edges = [];
  for (const [a, b] of data.edges) {
    const e = [shownId.get(a), shownId.get(b)]; const key = e.join("\u0000");
    if (e[0] !== e[1] && !seen.has(key)) { seen.add(key); edges.push(e); }
  }
  $("#departments").innerHTML = [...groups.keys()].sort().map((g) =>
    `<button data-group="${esc(g)}" class="${state.expanded.has(g) ? "expanded" : ""}"><span class="dot" style="background:${colour(g)}"></span>${esc(g)} (${groups.get(g).length})</button>`).join("");
  $("#departments").querySelectorAll("button").forEach((b) => b.addEventListener("click", () => toggle(b.dataset.group)));
  drawGraph($("#graph"), nodes, edges, (id, kind) => {
    if (kind === "group") toggle(id.slice("group:".length));
    else location.hash = link("dataset", { id });
  });
  $("#graph-summary").textContent = `${data.nodes.length} datasets in ${groups.size} groups, ${nodes.length} boxes shown` + (data.truncated ? " (truncated: focus on a dataset)" : "");
}

function toggle(group) {
  if (state.expanded.has(group)) state.expanded.delete(group); else state.expanded.add(group);
  renderGraph();
}

// ---- dataset page ----
async function showDataset(params) {
  const id = params.get("id");
  const d = await api("dataset?" + new URLSearchParams({ id }).toString());
  const q = d.quality;
  const latest = q && q.history.length ? q.history[0] : null;
  view.innerHTML = `<div id="dataset" data-id="${esc(d.id)}"><h1>${esc(d.name)}</h1>
    <div class="meta">
      <span>Owner department</span><span id="owner">${d.departments.map((x) => badge(x, "dept")).join("") || "—"}</span>
      <span>Sensitivity</span><span>${badge(d.sensitivity) || "—"} ${d.shared ? badge("shared table", "shared") : ""}</span>
      <span>Namespace</span><span>${esc(d.namespace)}</span>
      <span>Freshness</span><span id="freshness">updated ${esc(when(d.updatedAt))}; last successful run ${esc(when(d.lastSuccessfulRunAt))}</span>
      <span>Lineage</span><span><a id="show-in-graph" href="${link("graph", { focus: d.id, depth: 3 })}">show in the lineage graph</a></span>
    </div>
    <h2>Schema</h2><table id="schema"><tr><th>column</th><th>type</th><th>sensitivity</th><th></th></tr>
    ${d.fields.map((f) => { const fid = `datasetField:${d.namespace}:${d.name}:${f.name}`; return `<tr data-field="${esc(f.name)}"><td>${esc(f.name)}</td><td>${esc(f.type ?? "")}</td><td>${badge(f.sensitivity)}</td>
      <td><a class="impact-link" href="${link("impact", { id: fid })}">impact</a> · <a href="${link("columns", { id: fid, depth: 3 })}">column lineage</a></td></tr>`; }).join("")}</table>
    <h2>Quality</h2><div id="quality">${quality(q, latest)}</div>
    <div class="cols"><div><h2>Run history</h2><table id="runs"><tr><th>job</th><th>state</th><th>started</th><th>ended</th></tr>
      ${d.runs.map((r) => `<tr><td>${esc(r.job)}</td><td>${badge(r.state)}</td><td>${esc(when(r.startedAt))}</td><td>${esc(when(r.endedAt))}</td></tr>`).join("") || "<tr><td colspan=4 class=muted>no runs recorded</td></tr>"}</table></div>
    <div><h2>Consumers</h2><table id="consumers"><tr><th>job</th><th>writes</th><th>departments</th></tr>
      ${d.consumers.map((c) => `<tr><td>${esc(c.job)}</td><td>${c.outputs.map((o) => `<a href="${link("dataset", { id: o.id })}">${esc(short(o.name))}</a>`).join("<br>")}</td><td>${[...new Set(c.outputs.flatMap((o) => o.departments))].map((x) => badge(x, "dept")).join("")}</td></tr>`).join("") || "<tr><td colspan=3 class=muted>nothing reads this dataset yet</td></tr>"}</table></div></div></div>`;
}

function quality(q, latest) {
  if (!q) return `<p class="muted">Not loaded by a feed: no quality results.</p>`;
  if (!q.available || !latest) return `<p class="muted" id="no-quality">No quality results recorded for feed ${esc(q.feed)} yet.</p>`;
  const docs = q.dataDocs ? ` · <a href="${esc(q.dataDocs)}" target="_blank">Data Docs</a>` : "";
  return `<p>Feed ${esc(q.feed)}: latest batch ${esc(latest.batch_id)} ${badge(latest.status)} — ${esc(latest.valid_count)} of ${esc(latest.row_count)} rows valid, ${esc(latest.quarantined_count)} quarantined${docs}</p>
    <table id="checks"><tr><th>check</th><th>column</th><th>severity</th><th>result</th><th>unexpected</th></tr>
    ${q.latestChecks.map((c) => `<tr><td>${esc(c.check_name)}</td><td>${esc(c.column_name ?? "")}</td><td>${esc(c.severity)}</td><td>${badge(c.success ? "passed" : "failed")}</td><td>${esc(c.unexpected_count ?? "")}</td></tr>`).join("")}</table>
    <h2>Quality history</h2><table id="quality-history"><tr><th>batch</th><th>validated</th><th>status</th><th>rows</th><th>quarantined</th><th>failed checks</th><th></th></tr>
    ${q.history.map((h) => `<tr><td>${esc(h.batch_id)}</td><td>${esc(when(h.validated_at))}</td><td>${badge(h.status)}</td><td>${esc(h.row_count)}</td><td>${esc(h.quarantined_count)}</td><td>${esc(h.failed_checks)}</td><td>${h.dataDocs ? `<a href="${esc(h.dataDocs)}" target="_blank">Data Docs</a>` : ""}</td></tr>`).join("")}</table>`;
}

// ---- impact analysis of a source column ----
async function showImpact(params) {
  const id = params.get("id");
  const r = await api("impact?" + new URLSearchParams({ id }).toString());
  view.innerHTML = `<div id="impact"><h1>Impact of ${esc(short(r.source.dataset))}.${esc(r.source.field)}</h1>
    <p id="impact-summary">${r.columns.length} downstream columns in ${new Set(r.columns.map((c) => c.dataset)).size} datasets; ${r.sharedTables.length} shared tables; ${r.consumingDepartments.length} consuming departments.</p>
    <div class="cols"><div><h2>Consuming departments</h2><ul id="impact-departments">${r.consumingDepartments.map((c) => `<li>${badge(c.department, "dept")} via ${c.datasets.map((n) => esc(short(n))).join(", ")}</li>`).join("") || "<li class=muted>none outside the source department</li>"}</ul></div>
    <div><h2>Shared tables</h2><ul id="impact-shared">${r.sharedTables.map((t) => `<li>${esc(t)}</li>`).join("") || "<li class=muted>none</li>"}</ul></div></div>
    <h2>Downstream columns</h2><div class="canvas" id="graph"></div>
    <table id="impact-columns"><tr><th>depth</th><th>dataset</th><th>column</th><th>sensitivity</th><th>group</th></tr>
    ${r.columns.map((c) => `<tr><td>${c.depth}</td><td><a href="${link("dataset", { id: c.datasetId })}">${esc(c.dataset)}</a></td><td>${esc(c.field)}</td><td>${badge(c.sensitivity)}</td><td>${esc(c.group)}${c.shared ? " " + badge("shared", "shared") : ""}</td></tr>`).join("")}</table></div>`;
  const nodes = [{ id: r.source.id, kind: "column", label: r.source.field, sub: short(r.source.dataset), colour: colour(r.source.group), focus: true }]
    .concat(r.columns.map((c) => ({ id: c.id, kind: "column", label: c.field, sub: short(c.dataset), colour: colour(c.group) })));
  drawGraph($("#graph"), nodes, r.edges.map((e) => [e.from, e.to]), (nid) => { location.hash = link("impact", { id: nid }); });
}

// ---- column lineage around one column ----
async function showColumns(params) {
  const id = params.get("id"); const depth = params.get("depth") ?? "3";
  const r = await api("columns?" + new URLSearchParams({ id, depth }).toString());
  view.innerHTML = `<div id="columns"><h1>Column lineage of ${esc(id.split(":").slice(-2).join("."))}</h1>
    <div class="toolbar"><label>Depth <select id="depth">${[1, 2, 3, 4, 6, 10].map((d) => `<option ${String(d) === depth ? "selected" : ""}>${d}</option>`).join("")}</select></label>
    <a href="${link("impact", { id })}">impact analysis</a></div><div class="canvas" id="graph"></div></div>`;
  $("#depth").addEventListener("change", (e) => { location.hash = link("columns", { id, depth: e.target.value }); });
  const nodes = r.graph.map((n) => ({ id: n.id, kind: "column", label: n.data.field, sub: short(n.data.dataset),
    colour: colour((n.data.owners ?? []).length === 1 ? n.data.owners[0].replace("department:", "") : "cross-department"), focus: n.id === id }));
  const edges = r.graph.flatMap((n) => n.inEdges.map((e) => [e.origin, e.destination]));
  drawGraph($("#graph"), nodes, edges, (nid) => { location.hash = link("columns", { id: nid, depth }); });
}

// ---- search ----
let searchTimer = null;
$("#search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  const q = e.target.value.trim();
  if (!q) { $("#results").hidden = true; return; }
  searchTimer = setTimeout(async () => {
    const r = await api("search?" + new URLSearchParams({ q }).toString());
    $("#results").innerHTML = r.datasets.map((d) => `<a class="result" href="${link("dataset", { id: d.id })}"><span class="kind">dataset</span>${esc(d.name)}</a>`)
      .concat(r.columns.map((c) => `<a class="result" href="${link("impact", { id: c.id })}"><span class="kind">column</span>${esc(short(c.dataset))}.${esc(c.field)}</a>`)).join("") || `<p class="muted">&nbsp;nothing matches</p>`;
    $("#results").hidden = false;
  }, 150);
});
$("#results").addEventListener("click", () => { $("#results").hidden = true; });

// ---- sign-in and routing ----
function showLogin() { $("#login").hidden = false; view.hidden = true; $("#search").disabled = true; $("#token").focus(); }
$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const response = await fetch("api/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: $("#token").value }) });
  if (!response.ok) { $("#login-error").textContent = "That is not the lineage service's token."; $("#login-error").hidden = false; return; }
  $("#login").hidden = true; view.hidden = false; $("#search").disabled = false; route();
});

async function route() {
  const [name, query] = (location.hash.slice(1) || "graph").split("?");
  const params = new URLSearchParams(query ?? "");
  const pages = { graph: showGraph, dataset: showDataset, impact: showImpact, columns: showColumns };
  document.body.dataset.ready = "";
  try { await (pages[name] ?? showGraph)(params); }
  catch (error) { if (error.message !== "signed out") view.innerHTML = `<p class="error" id="error">${esc(error.message)}</p>`; }
  document.body.dataset.ready = name;
}
window.addEventListener("hashchange", route);

(async () => {
  const response = await fetch("api/session", { credentials: "same-origin" });
  if (response.status === 401) { showLogin(); return; }
  $("#search").disabled = false;
  route();
})();
