// skygate service map: Leaflet with no tile layer (fully offline), country outlines from
// bundled Natural Earth, res-5 service cells coloured by status, click → decision with its
// reasons and ledger entries, policy history by date, restrictions, simulation results.
//
// Low zoom (< CELL_ZOOM): countries are filled with their region status; over them, the areas
// that have their own authorization (Crimea inside Ukraine, the operator's waitlist cells:
// an area beats its country in every decision) merged into a few polygons per rule; and on
// top the restricted areas (a restriction beats any status). The whole world stays a few
// hundred polygons. From CELL_ZOOM on, the res-5 cells of the visible box come from
// /api/v1/cells, each with the status decided for it.
"use strict";

const API = "/api/v1";
const CELL_ZOOM = 6;
const STATUSES = [
  ["available", "Available", "#2e9d4f"],
  ["waitlist", "Waitlist", "#f0b429"],
  ["coming soon", "Coming soon", "#4c8bf5"],
  ["not authorized", "Not authorized", "#9aa0a6"],
  ["restricted", "Restricted", "#d93025"],
];
const COLOR = Object.fromEntries(STATUSES.map(([key, , color]) => [key, color]));
const NO_DATA = "#e8e8e8";
const SEA = "#cfe3f3";
const COUNTRY_OPACITY = 0.75;

const state = { at: null, regionStatus: {}, cellsRequest: 0 };

function statusKey(status) {
  return String(status || "").replaceAll("_", " ").toLowerCase();
}

function colorOf(status) {
  return COLOR[statusKey(status)] || NO_DATA;
}

// A status colour as a country fill shows it (75 % over the sea), as an opaque colour: an
// area drawn over its country then looks exactly like a country of its status (Crimea like
// Russia, not like a grey-green mix of its status and Ukraine's).
function countryShade(status) {
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [fg, bg] = [rgb(colorOf(status)), rgb(SEA)];
  const mix = fg.map((c, i) => Math.round(COUNTRY_OPACITY * c + (1 - COUNTRY_OPACITY) * bg[i]));
  return `rgb(${mix.join(",")})`;
}

function atParam() {
  return state.at ? `&at=${encodeURIComponent(state.at)}` : "";
}

async function getJSON(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function setMapStatus(text) {
  document.getElementById("map-status").textContent = text;
}

// --- the map ----------------------------------------------------------------------------
const map = L.map("map", {
  center: [30, 40], zoom: 3, minZoom: 2, maxZoom: 11, worldCopyJump: true, preferCanvas: true,
  attributionControl: true,
});
map.attributionControl.setPrefix("Leaflet").addAttribution("Natural Earth; H3");
const renderer = L.canvas({ padding: 0.2 });

const countries = L.geoJSON(null, {
  renderer,
  style: (feature) => ({
    color: "#555", weight: 0.6, fillOpacity: COUNTRY_OPACITY,
    fillColor: colorOf(state.regionStatus[feature.properties.a2]),
  }),
  interactive: false,
}).addTo(map);

// Areas with their own authorization, in the server's order (least specific first, so where
// two overlap the one that decides is painted last), opaque in the country shade of their
// status, outlined in the status colour so that single cells stay visible at world zoom.
const policyAreas = L.geoJSON(null, {
  renderer, interactive: false,
  style: (feature) => ({
    color: colorOf(feature.properties.status), weight: 0.6, opacity: 0.9,
    fillColor: countryShade(feature.properties.status), fillOpacity: 1,
  }),
}).addTo(map);

const restrictedAreas = L.geoJSON(null, {
  renderer, interactive: false,
  style: () => ({ color: COLOR.restricted, weight: 0.5, fillColor: COLOR.restricted, fillOpacity: 0.8 }),
}).addTo(map);

const cells = L.geoJSON(null, {
  renderer, interactive: false,
  style: (feature) => ({
    color: "#333", weight: 0.2, fillOpacity: 0.8, fillColor: colorOf(feature.properties.status),
  }),
}).addTo(map);

function drawLegend() {
  const list = document.getElementById("legend-items");
  for (const [key, label, color] of STATUSES) {
    list.append(el("li", { "data-status": key },
      el("span", { class: "swatch", style: `background:${color}` }), label));
  }
}

async function loadOutlines() {
  countries.addData(await getJSON(`${API}/outlines`));
}

async function loadRegions() {
  const body = await getJSON(`${API}/regions?${atParam().slice(1)}`);
  state.regionStatus = Object.fromEntries(body.regions.map((r) => [r.region, r.status]));
  countries.setStyle(countries.options.style);
}

async function loadPolicyAreas() {
  const body = await getJSON(`${API}/authorizations/areas?${atParam().slice(1)}`);
  policyAreas.clearLayers();
  policyAreas.addData(body);
  document.body.dataset.areas = body.features
    .map((f) => `${f.properties.code || f.properties.id}:${f.properties.status}`).join(" ");
}

async function loadRestrictedAreas() {
  const body = await getJSON(`${API}/restrictions/areas?${atParam().slice(1)}`);
  restrictedAreas.clearLayers();
  restrictedAreas.addData(body);
}

function viewBbox() {
  const b = map.getBounds().pad(0.05);
  const west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
  const south = Math.max(-85, b.getSouth()), north = Math.min(85, b.getNorth());
  return [west, south, east, north].map((v) => v.toFixed(3)).join(",");
}

// The canvas paints layers in the order they were (re)added, and a layer whose data is
// reloaded goes on top; so after every load the order is set again, bottom to top.
function orderLayers() {
  if (map.getZoom() >= CELL_ZOOM) {
    countries.bringToFront(); // outlines over the cells
  } else {
    policyAreas.bringToFront(); // an area beats its country
    restrictedAreas.bringToFront(); // a restriction beats any status
  }
  if (map.hasLayer(simLayer)) simLayer.bringToFront();
}

function styleForZoom(cellZoom) {
  // Country fills at low zoom; at cell zoom only their outlines, drawn over the cells (which
  // carry the areas' and restrictions' statuses themselves).
  countries.options.style = (feature) => ({
    color: "#444", weight: cellZoom ? 1 : 0.6, fillOpacity: cellZoom ? 0 : COUNTRY_OPACITY,
    fillColor: colorOf(state.regionStatus[feature.properties.a2]),
  });
  countries.setStyle(countries.options.style);
  for (const layer of [policyAreas, restrictedAreas]) {
    if (cellZoom) map.removeLayer(layer);
    else if (!map.hasLayer(layer)) layer.addTo(map);
  }
  orderLayers();
}

async function loadCells() {
  const ticket = ++state.cellsRequest;
  styleForZoom(map.getZoom() >= CELL_ZOOM);
  if (map.getZoom() < CELL_ZOOM) {
    cells.clearLayers();
    setMapStatus(`countries (zoom in to ${CELL_ZOOM} for cells)`);
    return;
  }
  setMapStatus("loading cells…");
  try {
    const body = await getJSON(`${API}/cells?bbox=${viewBbox()}${atParam()}`);
    if (ticket !== state.cellsRequest) return; // a newer view superseded this one
    cells.clearLayers();
    cells.addData(body);
    orderLayers();
    setMapStatus(`${body.features.length} cells`);
  } catch (error) {
    if (ticket === state.cellsRequest) setMapStatus(`cells: ${error.message}`);
  }
}

// --- decision panel -----------------------------------------------------------------------
function renderDecision(d) {
  const panel = document.getElementById("decision");
  panel.replaceChildren(el("h2", { id: "decision-title" }, "Decision"));
  const status = el("span", { class: "status", "data-testid": "decision-status",
    style: `color:${colorOf(d.status)}` }, statusKey(d.status));
  panel.append(
    el("p", {}, `${d.lat_deg.toFixed(4)}, ${d.lon_deg.toFixed(4)} — region `,
      el("b", {}, d.region),
      ...(d.area ? [", area ", el("b", { "data-testid": "decision-area" }, d.area)] : []),
      ", cell ", el("code", {}, d.cell)),
    el("p", {}, "Status: ", status, d.serviceable ? " (serviceable)" : " (not serviceable)"),
  );
  const reasons = el("ul", { class: "reasons", "data-testid": "decision-reasons" });
  for (const reason of d.reasons) reasons.append(el("li", {}, reason));
  panel.append(el("p", {}, "Why:"), reasons);
  panel.append(el("p", {}, "Ledger entries behind it:"));
  const entries = el("ul", { class: "entries", "data-testid": "decision-entries" });
  if (!d.entries.length) entries.append(el("li", { class: "note" }, "none (no rule covers this place)"));
  for (const id of d.entries) {
    const item = el("li", { "data-entry": String(id) },
      el("a", { href: `${API}/ledger/${id}/proof`, target: "_blank" }, `#${id}`), " loading…");
    entries.append(item);
    loadEntry(id, item);
  }
  panel.append(entries);
  const sats = d.satellites;
  if (sats) {
    const best = sats.best_elevation_deg == null ? "—" : `${sats.best_elevation_deg.toFixed(1)}°`;
    panel.append(el("p", { class: "note" },
      `Satellites in view now (≥ ${sats.min_elevation_deg}°): ${sats.count}, best elevation ${best}`));
  }
}

function shortDate(text) {
  return text ? String(text).slice(0, 10) : "—";
}

// One ledger entry (with its inclusion proof's tree size): what changed, when, who, why.
async function loadEntry(id, item) {
  const link = item.firstChild;
  try {
    const p = await getJSON(`${API}/ledger/${id}/proof`);
    if (p.redacted || !p.entry) {
      item.replaceChildren(link, ` not public: only its hash is shown (leaf ${p.leaf_hash.slice(0, 12)}…)`);
      return;
    }
    const e = p.entry;
    const rule = e.after || e.before || {};
    const what = rule.rule === "restriction"
      ? `restriction (${rule.effect}), asked by ${rule.requested_by}, approved by ${rule.approved_by}`
      : `${e.op} ${rule.scope && rule.scope.region ? rule.scope.region : ""} ${statusKey(rule.status)}`;
    item.replaceChildren(link, ` ${what.trim()} — effective ${shortDate(e.effective_at)}, ` +
      `recorded ${shortDate(e.recorded_at)} by ${e.actor}: `, el("i", {}, e.reason || ""),
      el("span", { class: "note" }, ` (entry ${p.leaf_index + 1} of ${p.tree_size} in the ledger)`));
  } catch (error) {
    item.replaceChildren(link, ` ${error.message}`);
  }
}

async function showDecision(latlng) {
  const wrapped = latlng.wrap();
  try {
    const d = await getJSON(
      `${API}/availability?lat=${wrapped.lat.toFixed(5)}&lon=${wrapped.lng.toFixed(5)}${atParam()}`);
    renderDecision(d);
    // Built as nodes, not HTML: region and area codes come from the ledger.
    L.popup().setLatLng(latlng).setContent(el("span", { "data-testid": "decision-popup" },
      el("b", {}, statusKey(d.status)), ` — ${d.region}${d.area ? ` (area ${d.area})` : ""}`))
      .openOn(map);
  } catch (error) {
    document.getElementById("decision").replaceChildren(
      el("h2", {}, "Decision"), el("p", { class: "note" }, error.message));
  }
}

// --- restrictions panel -------------------------------------------------------------------
async function loadRestrictionList() {
  const list = document.getElementById("restriction-items");
  try {
    const body = await getJSON(`${API}/restrictions?${atParam().slice(1)}`);
    list.replaceChildren();
    if (!body.restrictions.length && !body.hidden_non_public) {
      list.append(el("li", { class: "note" }, "none in force"));
    }
    for (const r of body.restrictions) {
      list.append(el("li", { "data-testid": "restriction" },
        el("b", {}, `${r.label || r.region || "restriction"} `),
        el("span", { class: "note" }, `(#${r.id}, ${r.cell_count} cells)`), el("br"),
        `asked by ${r.requested_by}, approved by ${r.approved_by || "—"}`, el("br"),
        el("i", {}, r.reason)));
    }
    if (body.hidden_non_public) {
      list.append(el("li", { class: "note", "data-testid": "restriction-hidden" },
        `${body.hidden_non_public} restriction(s) in force are not public: their areas are ` +
        "shown on the map, who asked and why only to auditors"));
    }
  } catch (error) {
    list.replaceChildren(el("li", { class: "note" }, error.message));
  }
}

// --- simulation results -----------------------------------------------------------------------
// Runs written by `skygate simulate` / `skygate demo` (found by the server under its
// simulation folder): their per-cell results as an optional layer, and their key figures.
const SIM_METRICS = [
  ["sats_in_view_mean", "satellites in view (mean)"],
  ["covered_fraction", "coverage (share of epochs)"],
  ["served_gbps_mean", "served Gbps (mean)"],
];
const SIM_RAMP = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];
const simLayer = L.geoJSON(null, {
  renderer, interactive: false,
  style: (feature) => ({ color: "#555", weight: 0.15, fillOpacity: 0.9, fillColor: simColor(feature) }),
});
const sim = { runs: [], run: null, metric: SIM_METRICS[0][0], min: 0, max: 1, data: null };

function simColor(feature) {
  // Equal steps between the run's smallest and largest value of the metric.
  const value = Number(feature.properties[sim.metric]) || 0;
  const share = (value - sim.min) / Math.max(1e-9, sim.max - sim.min);
  return SIM_RAMP[Math.max(0, Math.min(SIM_RAMP.length - 1, Math.floor(share * SIM_RAMP.length)))];
}

function fmt(value, digits = 1) {
  return typeof value === "number" ? value.toLocaleString("en", { maximumFractionDigits: digits }) : "—";
}

function simSummary(run) {
  const t = run.totals || {};
  const c = run.compliance || {};
  const violations = Object.values(c).reduce((a, b) => a + (Number(b) || 0), 0);
  return el("dl", { class: "sim-summary", "data-testid": "sim-summary" },
    el("dt", {}, "Scenario"), el("dd", {}, `${run.scenario}${run.focus_region ? ` (focus ${run.focus_region})` : ""}`),
    el("dt", {}, "Window"), el("dd", {}, `${run.start} → ${run.end}, ${run.epochs} epochs of ${run.step_s} s`),
    el("dt", {}, "Policy"), el("dd", {}, `as of ${run.policy_at} (${run.policy_source}), enforcement ${run.enforcement ? "on" : "off"}`),
    el("dt", {}, "Cells"), el("dd", {}, fmt(run.cells, 0)),
    el("dt", {}, "Coverage"), el("dd", {}, `${fmt(100 * (t.covered_fraction_mean || 0))} % of cell-epochs`),
    el("dt", {}, "Demand"), el("dd", {}, `${fmt(t.demand_gbps_mean)} Gbps from ${fmt(t.terminals, 0)} terminals, ` +
      `${fmt(100 * (t.served_fraction || 0))} % served`),
    el("dt", {}, "Compliance"), el("dd", { "data-testid": "sim-compliance" },
      violations ? `${violations} violation(s)` : "compliant: no beam served a restricted cell"));
}

function simLegend() {
  const label = SIM_METRICS.find(([key]) => key === sim.metric)[1];
  const ramp = el("div", { class: "ramp" });
  const step = (sim.max - sim.min) / SIM_RAMP.length;
  SIM_RAMP.forEach((color, i) => ramp.append(el("span", { style: `background:${color}`,
    title: `${fmt(sim.min + i * step, 2)} – ${fmt(sim.min + (i + 1) * step, 2)}` })));
  return el("div", { class: "note", "data-testid": "sim-legend" },
    `${label}: ${fmt(sim.min, 2)} `, ramp, ` ${fmt(sim.max, 2)}`);
}

function drawSimLayer() {
  simLayer.clearLayers();
  if (!sim.data) return;
  const values = sim.data.features.map((f) => Number(f.properties[sim.metric]) || 0);
  sim.min = values.reduce((a, b) => Math.min(a, b), Infinity);
  sim.max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  if (!values.length) [sim.min, sim.max] = [0, 1];
  simLayer.addData(sim.data);
  const legend = document.getElementById("sim-legend-slot");
  if (legend) legend.replaceChildren(simLegend());
}

async function showSimLayer(on) {
  if (!on) {
    map.removeLayer(simLayer);
    sim.data = null;
    simLayer.clearLayers();
    document.getElementById("sim-legend-slot").replaceChildren();
    document.body.dataset.simLayer = "off";
    return;
  }
  setMapStatus("loading simulation cells…");
  sim.data = await getJSON(`${API}/simulations/cells?run=${encodeURIComponent(sim.run)}`);
  drawSimLayer();
  simLayer.addTo(map);
  setMapStatus(`simulation: ${sim.data.features.length} cells`);
  document.body.dataset.simLayer = sim.run;
}

function renderSimPanel() {
  const body = document.getElementById("sim-body");
  if (!sim.runs.length) {
    body.replaceChildren(el("p", { class: "note", "data-testid": "sim-none" },
      "No simulation results yet. Run `skygate demo` (it writes out/demo/) in the folder the " +
      "server was started from, then reload."));
    return;
  }
  const select = el("select", { id: "sim-run", "data-testid": "sim-run" });
  for (const run of sim.runs) {
    select.append(el("option", { value: run.id }, `${run.id} — ${run.scenario}, ${shortDate(run.start)}`));
  }
  select.value = sim.run;
  const metric = el("select", { id: "sim-metric", "data-testid": "sim-metric" });
  for (const [key, label] of SIM_METRICS) metric.append(el("option", { value: key }, label));
  metric.value = sim.metric;
  const toggle = el("input", { type: "checkbox", id: "sim-show", "data-testid": "sim-show" });
  const run = sim.runs.find((r) => r.id === sim.run);
  if (!run.has_cells) toggle.disabled = true;
  body.replaceChildren(
    el("label", {}, "Run ", select),
    simSummary(run),
    el("label", {}, toggle, " show on the map, coloured by "), metric,
    el("div", { id: "sim-legend-slot" }));
  select.addEventListener("change", async () => {
    sim.run = select.value;
    await showSimLayer(false);
    renderSimPanel();
  });
  metric.addEventListener("change", () => { sim.metric = metric.value; drawSimLayer(); });
  toggle.addEventListener("change", () => showSimLayer(toggle.checked)
    .catch((error) => setMapStatus(`simulation: ${error.message}`)));
}

async function loadSimulations() {
  try {
    const body = await getJSON(`${API}/simulations`);
    sim.runs = body.runs;
    sim.run = sim.runs.length ? sim.runs[0].id : null;
    renderSimPanel();
  } catch (error) {
    document.getElementById("sim-body").replaceChildren(el("p", { class: "note" }, error.message));
  }
}

// --- date control ----------------------------------------------------------------------------
async function refreshAll() {
  setMapStatus("loading…");
  await Promise.all([loadRegions(), loadPolicyAreas(), loadRestrictedAreas(),
    loadRestrictionList()]);
  await loadCells(); // also puts the layers back in order
  document.body.dataset.mapAt = state.at || "now";
}

function setDate(value) {
  // The end of the chosen UTC day: the map "as it stood" on that date.
  state.at = value ? `${value}T23:59:59Z` : null;
  return refreshAll();
}

async function main() {
  drawLegend();
  const dateInput = document.getElementById("date");
  dateInput.max = new Date().toISOString().slice(0, 10);
  dateInput.addEventListener("change", () => setDate(dateInput.value));
  document.getElementById("today").addEventListener("click", () => {
    dateInput.value = "";
    setDate("");
  });
  map.on("moveend", loadCells);
  map.on("click", (event) => showDecision(event.latlng));
  await loadOutlines();
  await Promise.all([refreshAll(), loadSimulations()]);
  document.body.dataset.ready = "true";
}

main().catch((error) => setMapStatus(`error: ${error.message}`));
