// sigmanet playground: the page. Plain JavaScript, no library, nothing from the network.
// The server trains; this file draws the frames it streams and posts the controls.
"use strict";

const COLORS = { negative: [8, 119, 189], positive: [245, 147, 34], third: [42, 157, 92], zero: [247, 247, 247] };
const CLASS_COLORS = [COLORS.negative, COLORS.positive, COLORS.third];
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const DROPOUTS = [0, 0.1, 0.2, 0.3, 0.5];
const SPEEDS = { 1: "slow", 2: "calm", 3: "normal", 4: "fast", 5: "fastest" };
const SETTINGS_IN_URL = ["dataset", "noise", "train_ratio", "n_samples", "data_seed", "features", "hidden",
  "activations", "dropout", "initializer", "optimizer", "schedule", "learning_rate", "regularization",
  "regularization_rate", "batch_size", "loss", "seed", "speed"];
const LIST_SETTINGS = { features: "string", hidden: "int", activations: "string" };

const state = {
  options: null, frame: null, config: null, data: null, dataVersion: -1,
  curves: {}, lossHover: null, links: [], nodes: [],
};
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// talking to the server

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
    showMessage(message);
    if (state.config) syncControls(state.config); // show the settings that still hold
    return false;
  }
  return true;
}
const control = (action) => post("/api/control", { action });
const configure = (settings) => post("/api/control", { action: "configure", settings });

function showMessage(text) {
  const box = $("message");
  box.hidden = !text;
  box.textContent = text || "";
}

async function getJSON(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

// ---------------------------------------------------------------------------------------------
// the URL holds the settings, so a link reproduces a set-up

function settingsFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {};
  for (const [key, raw] of params) {
    if (!SETTINGS_IN_URL.includes(key)) continue;
    if (key in LIST_SETTINGS) {
      const items = raw === "" ? [] : raw.split(",");
      settings[key] = LIST_SETTINGS[key] === "int" ? items.map(Number) : items;
    } else if (["dataset", "initializer", "optimizer", "schedule", "regularization", "loss"].includes(key)) {
      settings[key] = raw;
    } else {
      settings[key] = Number(raw);
    }
  }
  return settings;
}

function hashFromConfig(config) {
  const params = new URLSearchParams();
  for (const key of SETTINGS_IN_URL) {
    const value = config[key];
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  return "#" + params.toString();
}

// ---------------------------------------------------------------------------------------------
// colours

function mix(a, b, t) { return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)); }
// v in [-1, 1]: blue through white to orange
function diverging(v) { return v < 0 ? mix(COLORS.zero, COLORS.negative, -v) : mix(COLORS.zero, COLORS.positive, v); }
function rgb(c, alpha = 1) { return `rgba(${c[0]},${c[1]},${c[2]},${alpha})`; }

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// an image of size × size from bytes: one channel (0…255 ↦ -1…1) or n class probabilities
function gridImage(bytes, size, channels) {
  const image = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    let c;
    if (channels === 1) {
      c = diverging(bytes[i] / 127.5 - 1);
    } else {
      c = [0, 0, 0];
      for (let k = 0; k < channels; k++) {
        const p = bytes[i * channels + k] / 255;
        const col = mix(COLORS.zero, CLASS_COLORS[k], 1);
        for (let j = 0; j < 3; j++) c[j] += p * col[j];
      }
      c = mix(COLORS.zero, c, 0.8);
    }
    image.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  return image;
}

function imageCanvas(image) {
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

// ---------------------------------------------------------------------------------------------
// building the controls

function fillSelect(select, values, label = (v) => String(v)) {
  select.replaceChildren(...values.map((v) => {
    const option = document.createElement("option");
    option.value = String(v);
    option.textContent = label(v);
    return option;
  }));
}

function buildControls(options) {
  fillSelect($("learning_rate"), LEARNING_RATES);
  fillSelect($("optimizer"), options.optimizers);
  fillSelect($("schedule"), options.schedules, (v) => (v === "annealed" ? "annealed 4/(1+epoch+i)+0.01" : v));
  fillSelect($("loss"), options.losses, (v) => (v === "log_loss" ? "log loss (from logits)" : "squared error (delta rule)"));
  fillSelect($("regularization"), options.regularizations);
  fillSelect($("regularization_rate"), REG_RATES);
  fillSelect($("initializer"), options.initializers);
  fillSelect($("dropout"), DROPOUTS);
  fillSelect($("speed"), Object.keys(SPEEDS), (v) => SPEEDS[v]);

  const numeric = ["learning_rate", "regularization_rate", "dropout", "batch_size", "seed", "speed"];
  for (const id of ["learning_rate", "optimizer", "schedule", "loss", "regularization",
    "regularization_rate", "initializer", "dropout", "batch_size", "seed", "speed"]) {
    $(id).addEventListener("change", () => {
      const value = numeric.includes(id) ? Number($(id).value) : $(id).value;
      configure({ [id]: value });
    });
  }
  for (const [id, out, format] of [["noise", "noise-value", (v) => `${Math.round(v * 100)}%`],
    ["train_ratio", "train-ratio-value", (v) => `${Math.round(v * 100)}%`],
    ["n_samples", "n-samples-value", (v) => String(v)]]) {
    $(id).addEventListener("input", () => { $(out).textContent = format(Number($(id).value)); });
    $(id).addEventListener("change", () => configure({ [id]: Number($(id).value) }));
  }

  const datasets = $("datasets");
  for (const name of options.datasets) {
    const button = document.createElement("button");
    button.dataset.dataset = name;
    button.title = name.replace("_", " ");
    const preview = document.createElement("canvas");
    preview.width = 48;
    preview.height = 48;
    button.append(preview, document.createTextNode(name.replace("_", " ")));
    button.addEventListener("click", () => configure({ dataset: name }));
    datasets.append(button);
  }

  const features = $("features");
  for (const name of options.features) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    box.addEventListener("change", () => {
      const chosen = [...features.querySelectorAll("input:checked")].map((b) => b.value);
      if (chosen.length === 0) { box.checked = true; showMessage("Keep at least one input feature."); return; }
      configure({ features: chosen });
    });
    label.append(box, featureCanvas(name, options.domain), document.createTextNode(name));
    features.append(label);
  }

  $("play").addEventListener("click", () => control(state.frame && state.frame.state === "playing" ? "pause" : "play"));
  $("step").addEventListener("click", () => control("step"));
  $("reset").addEventListener("click", () => control("reset"));
  $("regenerate").addEventListener("click", () => control("regenerate"));
  $("add-layer").addEventListener("click", () => {
    const c = state.config;
    if (c.hidden.length >= options.max_layers) return;
    configure({ hidden: [...c.hidden, c.hidden.length ? c.hidden[c.hidden.length - 1] : 4] });
  });
  $("remove-layer").addEventListener("click", () => {
    const c = state.config;
    if (c.hidden.length) configure({ hidden: c.hidden.slice(0, -1) });
  });
  $("show-test").addEventListener("change", () => drawHeatmap());
  $("compare-activations").addEventListener("click", () => control("compare_activations"));
  $("compare-descent").addEventListener("click", () => control("compare_descent"));
  $("activation-layer").addEventListener("change", () => drawActivationPanel());
  $("upload").addEventListener("change", uploadFile);

  const lossChart = $("loss-chart");
  lossChart.addEventListener("mousemove", (event) => { state.lossHover = canvasX(lossChart, event); drawLossChart(); });
  lossChart.addEventListener("mouseleave", () => { state.lossHover = null; drawLossChart(); });
  // keys: space plays or pauses, s steps, r resets (not while typing in a field)
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const button = { " ": "play", s: "step", r: "reset" }[event.key];
    if (!button) return;
    event.preventDefault();
    $(button).click();
  });
  const heatmap = $("heatmap");
  heatmap.addEventListener("mousemove", (event) => heatmapHover(event));
  const network = $("network");
  network.addEventListener("mousemove", (event) => networkHover(event));
  network.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
}

function canvasX(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return (event.clientX - box.left) * (canvas.width / box.width);
}

const FEATURE_FUNCTIONS = {
  "x1": (a, b) => a, "x2": (a, b) => b, "x1^2": (a, b) => a * a, "x2^2": (a, b) => b * b,
  "x1x2": (a, b) => a * b, "sin(x1)": (a, b) => Math.sin(a), "sin(x2)": (a, b) => Math.sin(b),
};
const FEATURE_SCALE = { "x1": 6, "x2": 6, "x1^2": 36, "x2^2": 36, "x1x2": 36, "sin(x1)": 1, "sin(x2)": 1 };

function featureImage(name, domain, size) {
  const image = new ImageData(size, size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const x1 = ((col + 0.5) / size) * 2 * domain - domain;
      const x2 = domain - ((row + 0.5) / size) * 2 * domain;
      const c = diverging(FEATURE_FUNCTIONS[name](x1, x2) / FEATURE_SCALE[name]);
      image.data.set([c[0], c[1], c[2], 255], (row * size + col) * 4);
    }
  }
  return image;
}

function featureCanvas(name, domain) {
  return imageCanvas(featureImage(name, domain, 24));
}

async function uploadFile(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  if (file.size > 500000) { showMessage("That file is larger than 500 kB; the playground takes up to 5000 rows."); return; }
  const text = await file.text();
  if (await post("/api/upload", { csv: text })) showMessage("");
}

// ---------------------------------------------------------------------------------------------
// one frame

function applyFrame(frame) {
  const previous = state.frame;
  state.frame = frame;
  const c = frame.config;
  const configText = JSON.stringify(c);
  if (!state.config || JSON.stringify(state.config) !== configText) {
    state.config = c;
    syncControls(c);
    history.replaceState(null, "", hashFromConfig(c));
  }
  if (frame.data_version !== state.dataVersion) {
    state.dataVersion = frame.data_version;
    getJSON("/api/data").then((data) => { state.data = data; drawHeatmap(); });
  }
  $("play").innerHTML = frame.state === "playing" ? "&#10073;&#10073; pause" : "&#9654; play";
  $("play").dataset.state = frame.state;
  $("epoch").textContent = String(frame.epoch).padStart(4, "0");
  $("updates").textContent = String(frame.updates);
  $("epoch-time").textContent = frame.epoch_seconds == null ? "–" : `${(frame.epoch_seconds * 1000).toFixed(1)} ms`;
  $("current-rate").textContent = frame.learning_rate == null ? "–" : format(frame.learning_rate);
  if (frame.message) showMessage(frame.message);
  else if (previous && previous.message) showMessage("");
  const last = (values) => (values.length ? values[values.length - 1] : null);
  $("train-loss").textContent = format(last(frame.loss.train));
  $("test-loss").textContent = format(last(frame.loss.test));
  const m = frame.metrics;
  $("train-accuracy").textContent = m.train ? `${(m.train.accuracy * 100).toFixed(1)}%` : "–";
  $("test-accuracy").textContent = m.test ? `${(m.test.accuracy * 100).toFixed(1)}%` : "–";
  drawConfusion(m.test || m.train);
  drawHeatmap();
  drawNetwork();
  drawLossChart();
  drawStep();
  drawFlow();
  drawActivationPanel();
  drawComparisons();
}

function format(v) {
  if (v == null || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
  return v.toFixed(a < 1 ? 4 : 3);
}

function syncControls(c) {
  for (const id of ["learning_rate", "optimizer", "schedule", "loss", "regularization",
    "regularization_rate", "initializer", "dropout", "batch_size", "seed", "speed", "noise",
    "train_ratio", "n_samples"]) {
    const element = $(id);
    const value = String(c[id]);
    if (element.tagName === "SELECT" && ![...element.options].some((o) => o.value === value)) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      element.append(option);
    }
    element.value = value;
  }
  $("noise-value").textContent = `${Math.round(c.noise * 100)}%`;
  $("train-ratio-value").textContent = `${Math.round(c.train_ratio * 100)}%`;
  $("n-samples-value").textContent = String(c.n_samples);
  for (const button of $("datasets").querySelectorAll("button")) {
    button.classList.toggle("selected", button.dataset.dataset === c.dataset);
  }
  for (const box of $("features").querySelectorAll("input")) box.checked = c.features.includes(box.value);
  $("layer-count").textContent = String(c.hidden.length);
  buildLayerControls(c);
  const layerSelect = $("activation-layer");
  const previous = layerSelect.value;
  fillSelect(layerSelect, c.hidden.map((_, i) => i), (i) => `hidden layer ${i + 1} (${c.activations[i]})`);
  if (previous !== "" && Number(previous) < c.hidden.length) layerSelect.value = previous;
}

function columnX(index, count, width) {
  const margin = 40;
  return count === 1 ? width / 2 : margin + (index * (width - 2 * margin)) / (count - 1);
}

function buildLayerControls(c) {
  const box = $("layer-controls");
  box.replaceChildren();
  const canvas = $("network");
  const columns = c.hidden.length + 2;
  c.hidden.forEach((width, layer) => {
    const div = document.createElement("div");
    div.className = "layer";
    div.style.left = `${(columnX(layer + 1, columns, canvas.width) / canvas.width) * 100}%`;
    const buttons = document.createElement("div");
    const minus = document.createElement("button");
    minus.className = "small";
    minus.textContent = "−";
    minus.title = `fewer units in layer ${layer + 1}`;
    minus.dataset.layer = String(layer);
    minus.addEventListener("click", () => {
      if (width > 1) configure({ hidden: c.hidden.map((w, i) => (i === layer ? w - 1 : w)) });
    });
    const plus = document.createElement("button");
    plus.className = "small";
    plus.textContent = "+";
    plus.title = `more units in layer ${layer + 1}`;
    plus.addEventListener("click", () => {
      if (width < state.options.max_units) configure({ hidden: c.hidden.map((w, i) => (i === layer ? w + 1 : w)) });
    });
    buttons.append(minus, plus);
    const label = document.createElement("span");
    label.textContent = `${width} unit${width === 1 ? "" : "s"}`;
    const select = document.createElement("select");
    select.className = "layer-activation";
    fillSelect(select, state.options.activations);
    select.value = c.activations[layer];
    select.addEventListener("change", () => {
      configure({ activations: c.activations.map((a, i) => (i === layer ? select.value : a)) });
    });
    div.append(buttons, label, select);
    box.append(div);
  });
}

// ---------------------------------------------------------------------------------------------
// drawing

function drawHeatmap() {
  const frame = state.frame;
  if (!frame) return;
  const canvas = $("heatmap");
  const ctx = canvas.getContext("2d");
  const h = frame.heatmap;
  const image = imageCanvas(gridImage(decode(h.data), h.size, h.channels));
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const data = state.data;
  if (!data || data.data_version !== frame.data_version) return;
  const domain = state.options.domain;
  const showTest = $("show-test").checked;
  for (let i = 0; i < data.y.length; i++) {
    if (!data.train[i] && !showTest) continue;
    const px = ((data.x[i][0] + domain) / (2 * domain)) * canvas.width;
    const py = ((domain - data.x[i][1]) / (2 * domain)) * canvas.height;
    ctx.beginPath();
    ctx.arc(px, py, 3, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(CLASS_COLORS[data.y[i]]);
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = data.train[i] ? "#fff" : "#000";
    ctx.stroke();
  }
}

function drawDatasetPreviews(previews) {
  const domain = state.options.domain;
  for (const button of $("datasets").querySelectorAll("button")) {
    const sample = previews[button.dataset.dataset];
    if (!sample) continue;
    const canvas = button.querySelector("canvas");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    sample.y.forEach((label, i) => {
      ctx.fillStyle = rgb(CLASS_COLORS[label]);
      const [x1, x2] = sample.x[i];
      ctx.fillRect(((x1 + domain) / (2 * domain)) * canvas.width - 1, ((domain - x2) / (2 * domain)) * canvas.height - 1, 2, 2);
    });
  }
}

function drawNetwork() {
  const frame = state.frame;
  const c = frame.config;
  const canvas = $("network");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const widths = [c.features.length, ...c.hidden, frame.heatmap.channels === 1 ? 1 : frame.n_classes];
  const columns = widths.length;
  const node = 30;
  const gap = 46;
  const centre = canvas.height / 2;
  const positions = widths.map((count, col) => {
    const x = columnX(col, columns, canvas.width);
    return Array.from({ length: count }, (_, j) => [x, centre + (j - (count - 1) / 2) * gap]);
  });
  // links: colour by sign, width by |w|
  state.links = [];
  frame.weights.forEach((layer, l) => {
    layer.W.forEach((row, i) => row.forEach((w, j) => {
      const a = positions[l][i];
      const b = positions[l + 1][j];
      if (!a || !b) return;
      ctx.beginPath();
      ctx.moveTo(a[0] + node / 2, a[1]);
      ctx.lineTo(b[0] - node / 2, b[1]);
      ctx.strokeStyle = rgb(w < 0 ? COLORS.negative : COLORS.positive, Math.min(1, 0.25 + Math.abs(w)));
      ctx.lineWidth = Math.min(8, 0.5 + 2 * Math.abs(w));
      ctx.stroke();
      state.links.push({ a: [a[0] + node / 2, a[1]], b: [b[0] - node / 2, b[1]], text: `W${l + 1}[${i + 1},${j + 1}] = ${format(w)}` });
    }));
  });
  // nodes: inputs, hidden units (their output over the plane), outputs
  state.nodes = [];
  const domain = state.options.domain;
  positions.forEach((column, col) => column.forEach(([x, y], j) => {
    let image = null;
    if (col === 0) image = imageCanvas(featureImage(c.features[j], domain, 24));
    else if (col <= c.hidden.length && frame.units[col - 1]) {
      image = imageCanvas(gridImage(decode(frame.units[col - 1][j]), frame.thumbnail_size, 1));
    } else if (col === columns - 1) {
      image = imageCanvas(gridImage(decode(frame.heatmap.data), frame.heatmap.size, frame.heatmap.channels));
    }
    if (image) ctx.drawImage(image, x - node / 2, y - node / 2, node, node);
    ctx.strokeStyle = "#8895a3";
    ctx.lineWidth = 1;
    ctx.strokeRect(x - node / 2, y - node / 2, node, node);
    let text;
    if (col === 0) text = `input ${c.features[j]}`;
    else {
      const bias = frame.weights[col - 1].b[j];
      text = `${col <= c.hidden.length ? `layer ${col}, unit ${j + 1}` : `output ${j + 1}`}: b = ${format(bias)}`;
    }
    state.nodes.push({ x, y, size: node, text });
  }));
  ctx.fillStyle = "#5c6b7a";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center";
  positions.forEach((column, col) => {
    const label = col === 0 ? "inputs" : col === columns - 1 ? "output" : `layer ${col}`;
    ctx.fillText(label, column[0][0], canvas.height - 6);
  });
}

// the prediction under the pointer, read from the frame's grid (rounded to 1/255)
function heatmapHover(event) {
  const frame = state.frame;
  if (!frame) return;
  const canvas = $("heatmap");
  const box = canvas.getBoundingClientRect();
  const u = (event.clientX - box.left) / box.width;
  const v = (event.clientY - box.top) / box.height;
  const domain = state.options.domain;
  const h = frame.heatmap;
  const col = Math.min(h.size - 1, Math.max(0, Math.floor(u * h.size)));
  const row = Math.min(h.size - 1, Math.max(0, Math.floor(v * h.size)));
  const bytes = decode(h.data);
  const at = (row * h.size + col) * h.channels;
  const probabilities = h.channels === 1
    ? [1 - bytes[at] / 255, bytes[at] / 255]
    : Array.from({ length: h.channels }, (_, k) => bytes[at + k] / 255);
  $("heatmap-readout").textContent = `x1 = ${(u * 2 * domain - domain).toFixed(2)}, ` +
    `x2 = ${(domain - v * 2 * domain).toFixed(2)}: ` +
    probabilities.map((p, k) => `P(class ${k}) ≈ ${p.toFixed(2)}`).join(", ");
}

function networkHover(event) {
  const canvas = $("network");
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * (canvas.width / box.width);
  const y = (event.clientY - box.top) * (canvas.height / box.height);
  let best = null;
  for (const n of state.nodes) {
    if (Math.abs(x - n.x) <= n.size / 2 && Math.abs(y - n.y) <= n.size / 2) best = { text: n.text, d: 0 };
  }
  if (!best) {
    for (const link of state.links) {
      const d = segmentDistance(x, y, link.a, link.b);
      if (d < 5 && (!best || d < best.d)) best = { text: link.text, d };
    }
  }
  const tip = $("tooltip");
  if (!best) { tip.hidden = true; return; }
  tip.hidden = false;
  tip.textContent = best.text;
  tip.style.left = `${event.clientX - box.left + 12}px`;
  tip.style.top = `${event.clientY - box.top + 12}px`;
}

function segmentDistance(x, y, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(x - (a[0] + t * dx), y - (a[1] + t * dy));
}

// a line chart; series: [{values, color, label}], x values shared; log: a log10 y axis
function lineChart(canvas, xs, series, { log = false, hover = null, xLabel = "epoch" } = {}) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width;
  const H = canvas.height;
  const left = 44;
  const right = 8;
  const top = 8;
  const bottom = 20;
  ctx.clearRect(0, 0, W, H);
  const all = series.flatMap((s) => s.values).filter((v) => v != null && Number.isFinite(v) && (!log || v > 0));
  if (!all.length || !xs.length) {
    ctx.fillStyle = "#5c6b7a";
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText("nothing yet", W / 2 - 30, H / 2);
    return null;
  }
  const tf = log ? Math.log10 : (v) => v;
  let lo = Math.min(...all.map(tf));
  let hi = Math.max(...all.map(tf));
  if (!log) lo = Math.min(0, lo);
  if (log) { lo = Math.floor(lo); hi = Math.ceil(hi); }
  if (hi - lo < 1e-12) hi = lo + 1;
  const x0 = xs[0];
  const x1 = xs[xs.length - 1] === x0 ? x0 + 1 : xs[xs.length - 1];
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
  const py = (v) => top + (1 - (tf(v) - lo) / (hi - lo)) * (H - top - bottom);
  ctx.strokeStyle = "#d9dee4";
  ctx.fillStyle = "#5c6b7a";
  ctx.font = "10px system-ui, sans-serif";
  ctx.lineWidth = 1;
  const ticks = log ? Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) : [lo, (lo + hi) / 2, hi];
  for (const t of ticks) {
    const y = top + (1 - (t - lo) / (hi - lo)) * (H - top - bottom);
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(W - right, y); ctx.stroke();
    ctx.fillText(log ? `1e${t}` : format(t), 2, y + 3);
  }
  ctx.fillText(`${xLabel} ${x0}`, left, H - 5);
  ctx.textAlign = "right";
  ctx.fillText(String(xs[xs.length - 1]), W - right, H - 5);
  ctx.textAlign = "left";
  for (const s of series) {
    ctx.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (v == null || !Number.isFinite(v) || (log && v <= 0)) { started = false; return; }
      if (!started) { ctx.moveTo(px(xs[i]), py(v)); started = true; } else ctx.lineTo(px(xs[i]), py(v));
    });
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.6;
    ctx.stroke();
  }
  let legendX = left + 6;
  for (const s of series) {
    if (!s.label) continue;
    ctx.fillStyle = s.color;
    ctx.fillText(s.label, legendX, top + 10);
    legendX += ctx.measureText(s.label).width + 12;
  }
  if (hover != null) {
    let index = 0;
    for (let i = 0; i < xs.length; i++) if (Math.abs(px(xs[i]) - hover) < Math.abs(px(xs[index]) - hover)) index = i;
    ctx.strokeStyle = "#1d2733";
    ctx.beginPath(); ctx.moveTo(px(xs[index]), top); ctx.lineTo(px(xs[index]), H - bottom); ctx.stroke();
    return index;
  }
  return null;
}

function drawLossChart() {
  const frame = state.frame;
  if (!frame) return;
  const loss = frame.loss;
  const index = lineChart($("loss-chart"), loss.epochs, [
    { values: loss.train, color: "#1d2733", label: "train" },
    { values: loss.test, color: "#f59322", label: "test" },
  ], { hover: state.lossHover });
  if (index != null) {
    $("loss-readout").textContent = `epoch ${loss.epochs[index]}: train ${format(loss.train[index])}, test ${format(loss.test[index])}`;
  }
}

function drawConfusion(metrics) {
  const table = $("confusion");
  table.replaceChildren();
  if (!metrics) return;
  const caption = document.createElement("caption");
  caption.textContent = `confusion matrix (${state.frame.metrics.test ? "test" : "train"}): rows true, columns predicted`;
  table.append(caption);
  const n = metrics.confusion.length;
  const head = document.createElement("tr");
  head.append(document.createElement("th"));
  for (let k = 0; k < n; k++) { const th = document.createElement("th"); th.textContent = `→${k}`; head.append(th); }
  table.append(head);
  metrics.confusion.forEach((row, k) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = String(k);
    tr.append(th, ...row.map((v) => { const td = document.createElement("td"); td.textContent = String(v); return td; }));
    table.append(tr);
  });
}

function numbers(value) {
  if (value == null) return "—";
  if (!Array.isArray(value)) return format(value);
  if (!Array.isArray(value[0])) return "[" + value.map(format).join("  ") + "]";
  return value.map((row) => "[" + row.map(format).join("  ") + "]").join("\n");
}

function drawStep() {
  const step = state.frame.step;
  const box = $("step-details");
  if (!step) { box.textContent = "No step taken yet."; return; }
  const lossName = state.frame.config.loss;
  const rows = [];
  rows.push(`<p class="hint">epoch ${step.epoch + 1}, batch ${step.batch + 1}: ${step.rows.length} sample(s); ` +
    `batch loss L = ${format(step.loss)}; η = ${format(step.learning_rate)}; optimizer ${state.frame.config.optimizer}</p>`);
  const L = step.layers.length;
  step.layers.forEach((layer, i) => {
    const l = i + 1;
    const out = l === L;
    const dzFormula = out
      ? (lossName === "log_loss" ? `dz[${l}] = (ŷ − y) / m  (fused with ${layer.activation})` : `dz[${l}] = (ŷ − y) ⊙ σ′(z[${l}]) / m  (delta rule)`)
      : `dz[${l}] = (dz[${l + 1}] W[${l + 1}]ᵀ) ⊙ g′(z[${l}])`;
    const entries = [
      ["a_prev", `a[${l - 1}]`, i === 0 ? "the inputs x (first sample)" : `a[${l - 1}] (first sample)`, layer.a_prev],
      ["z", `z[${l}] = a[${l - 1}] W[${l}] + b[${l}]`, "", layer.z],
      ["a", out && lossName === "log_loss" ? `ŷ = ${layer.activation}(z[${l}])` : `a[${l}] = ${layer.activation}(z[${l}])`, "", layer.a],
      ["g_prime", `g′(z[${l}])`, "", layer.g_prime],
      ["dz", dzFormula, "", layer.dz],
      ["dW", `dW[${l}] = a[${l - 1}]ᵀ dz[${l}]`, "whole batch", layer.dW],
      ["db", `db[${l}] = Σ_rows dz[${l}]`, "whole batch", layer.db],
      ["W", `W[${l}] before`, "", layer.W],
      ["W_new", `W[${l}] after (${state.frame.config.optimizer})`, state.frame.config.optimizer === "sgd" ? "W − η dW" : "the optimizer's rule", layer.W_new],
      ["b_new", `b[${l}] after`, "", layer.b_new],
    ];
    rows.push(`<div class="step-layer" data-layer="${l}"><h3>layer ${l}${out ? " (output)" : ""}: ${layer.activation}</h3><table>` +
      entries.map(([key, f, note, v]) => `<tr><td class="formula">${escapeHtml(f)}${note ? `<br><small>${escapeHtml(note)}</small>` : ""}</td>` +
        `<td class="values" data-name="${key}">${escapeHtml(numbers(v))}</td></tr>`).join("") +
      "</table></div>");
  });
  box.innerHTML = rows.join("");
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

const LAYER_COLORS = ["#183153", "#0877bd", "#2a9d5c", "#b8860b", "#c2452d", "#7b4fa0", "#555"];

function drawFlow() {
  const flow = state.frame.flow;
  lineChart($("flow-chart"), flow.epochs, flow.names.map((name, k) => ({
    values: flow.values.map((row) => row[k]), color: LAYER_COLORS[k % LAYER_COLORS.length], label: name,
  })), { log: true });
}

function drawComparisons() {
  const comparison = state.frame.comparison;
  const flowCanvas = $("flow-compare");
  if (comparison && comparison.kind === "activations" && comparison.runs) {
    flowCanvas.hidden = false;
    const runs = comparison.runs;
    const names = runs.sigmoid.names.length ? runs.sigmoid.names : runs.relu.names;
    const lastRow = (run) => (run.flow.length ? run.flow[run.flow.length - 1] : names.map(() => null));
    lineChart(flowCanvas, names.map((_, k) => k + 1), [
      { values: lastRow(runs.sigmoid), color: "#c2452d", label: "sigmoid" },
      { values: lastRow(runs.relu), color: "#0877bd", label: "ReLU" },
    ], { log: true, xLabel: "weight layer" });
    const ratio = (run) => { const r = lastRow(run); return r[0] && r[r.length - 1] ? r[0] / r[r.length - 1] : null; };
    $("flow-note").textContent = `After ${comparison.epochs} epochs, mean |∂L/∂W| of the first layer over the last: ` +
      `sigmoid ${format(ratio(runs.sigmoid))}, ReLU ${format(ratio(runs.relu))}. Backpropagation multiplies the ` +
      `gradient by g′(z) at every layer it passes; σ′ ≤ 0.25, ReLU′ is 1 on its active side, so in deep sigmoid ` +
      `stacks the first layers get the smallest share (add layers to see it grow).` +
      [runs.sigmoid.message, runs.relu.message].filter(Boolean).map((m) => " " + m).join("");
  } else if (comparison && comparison.kind === "activations") {
    flowCanvas.hidden = true;
    $("flow-note").textContent = comparison.message || "";
  } else {
    flowCanvas.hidden = true;
    $("flow-note").textContent = "";
  }
  const descent = $("descent-chart");
  if (comparison && comparison.kind === "descent") {
    const entries = Object.entries(comparison.runs);
    const xs = Array.from({ length: comparison.epochs }, (_, i) => i + 1);
    lineChart(descent, xs, entries.map(([name, run], k) => ({
      values: run.loss, color: ["#183153", "#2a9d5c", "#f59322"][k], label: name,
    })), { log: true });
    $("descent-note").textContent = entries.map(([name, run]) =>
      `${name}: ${run.message ? run.message : `loss ${format(run.loss[run.loss.length - 1])} after ${run.updates} updates`}`).join(" · ");
  } else {
    lineChart(descent, [], []);
    $("descent-note").textContent = "";
  }
}

async function drawActivationPanel() {
  const frame = state.frame;
  if (!frame) return;
  const c = frame.config;
  const canvas = $("activation-chart");
  const layer = Number($("activation-layer").value || 0);
  if (!c.hidden.length) { lineChart(canvas, [], []); $("saturation").textContent = "No hidden layer."; return; }
  const name = c.activations[layer];
  if (!state.curves[name]) {
    state.curves[name] = "loading";
    state.curves[name] = await getJSON(`/api/activation?name=${encodeURIComponent(name)}`);
  }
  const curves = state.curves[name];
  if (curves === "loading") return;
  lineChart(canvas, curves.x.map((x) => Number(x.toFixed(2))), [
    { values: curves.f, color: "#183153", label: `${name} f` },
    { values: curves.f1, color: "#f59322", label: "f′" },
    { values: curves.f2, color: "#2a9d5c", label: "f″" },
  ], { xLabel: "z" });
  const histogram = frame.z_histograms[layer];
  if (!histogram) return;
  const ctx = canvas.getContext("2d");
  const total = histogram.counts.reduce((a, b) => a + b, 0) + histogram.below + histogram.above;
  const peak = Math.max(...histogram.counts, 1);
  const left = 44;
  const width = canvas.width - left - 8;
  const bins = histogram.counts.length;
  ctx.fillStyle = "rgba(8,119,189,0.25)";
  histogram.counts.forEach((count, k) => {
    const h = (count / peak) * (canvas.height - 40);
    ctx.fillRect(left + (k / bins) * width, canvas.height - 20 - h, width / bins - 1, h);
  });
  const saturated = total ? ((histogram.below + histogram.above) / total) * 100 : 0;
  $("saturation").textContent = `Bars: the pre-activations z of hidden layer ${layer + 1} over the training points ` +
    `(${total} values); ${saturated.toFixed(1)}% lie beyond ±${frame.z_range}, where f′ is ` +
    `${format(curves.f1[0])} on the left and ${format(curves.f1[curves.f1.length - 1])} on the right.`;
}

// ---------------------------------------------------------------------------------------------
// start

async function start() {
  state.options = await getJSON("/api/options");
  buildControls(state.options);
  getJSON("/api/previews").then(drawDatasetPreviews);
  const settings = settingsFromHash();
  if (Object.keys(settings).length) await configure(settings);
  // a link pasted into this tab (only the part after # changes): apply its settings
  window.addEventListener("hashchange", () => {
    const changed = settingsFromHash();
    if (Object.keys(changed).length) configure(changed);
  });
  const events = new EventSource("/events");
  events.addEventListener("frame", (event) => applyFrame(JSON.parse(event.data)));
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) showMessage("The playground server has stopped.");
  });
  document.body.dataset.ready = "true";
}

window.addEventListener("DOMContentLoaded", () => {
  start().catch((error) => showMessage(`The page could not start: ${error.message}`));
});
