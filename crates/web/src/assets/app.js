// Restore Doctor's bench page: loads the bench's state, then applies the server's events as
// they come (batched into one redraw per frame), and reloads the state after any gap.
"use strict";

const model = { ports: new Map(), alerts: [], restores: new Map(), sources: new Map(), startedMs: null, restoresEnabled: false, exitEnabled: false, replayDone: false };
const pending = [];          // arrival times of events not yet drawn
const timings = [];          // ms from an event's arrival to the redraw that showed it
const counts = { events: 0, finding: 0, port: 0, alert: 0, restore: 0, source: 0, resync: 0, loads: 0 };
window.restoreDoctor = { timings, counts, model };

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// ---------- loading and events ----------
let source = null;
let dirty = false;

async function load() {
  const response = await fetch("/api/state", { cache: "no-store" });
  if (!response.ok) throw new Error("state " + response.status);
  const state = await response.json();
  counts.loads++;
  model.ports = new Map(state.ports.map((p) => [p.port, p]));
  model.alerts = state.alerts.slice();
  model.restores = new Map(state.restores.map((r) => [r.id, r]));
  model.restoresEnabled = state.restores_enabled;
  model.exitEnabled = state.exit_recovery_enabled;
  model.replayDone = state.replay_done;
  model.sources = new Map((state.sources || []).map((s) => [s.name, s]));
  model.startedMs = state.started_ms ?? null;
  if (model.replayDone) setStatus("live · the replay has ended", false);
  schedule();
  loadCases();
}

function connect() {
  if (source) source.close();
  source = new EventSource("/api/events");
  let broken = false;
  source.addEventListener("open", () => {
    setStatus(model.replayDone ? "live · the replay has ended" : "live", false);
    // Anything may have changed while the stream was down (a server restart): start over.
    if (broken) load().catch(() => {});
    broken = false;
  });
  source.addEventListener("error", () => { broken = true; setStatus("connection lost — reconnecting…", true); });
  const on = (name, apply) => source.addEventListener(name, (e) => {
    counts.events++; counts[name]++;
    pending.push(performance.now());
    apply(JSON.parse(e.data));
    schedule();
  });
  on("port", (p) => model.ports.set(p.port, p));
  on("finding", () => {});
  on("alert", (a) => { model.alerts.push(a); if (model.alerts.length > 200) model.alerts.shift(); });
  on("restore", (r) => model.restores.set(r.id, r));
  on("source", (s) => model.sources.set(s.name, s));
  source.addEventListener("cases", () => loadCases());
  source.addEventListener("replay", () => { model.replayDone = true; setStatus("live · the replay has ended", false); });
  source.addEventListener("resync", () => { counts.resync++; load().catch(() => {}); });
}

// When something happened: the time of day on a live bench, the time into the recording in a
// replay (the bench's times are seconds since it started).
function when(t) {
  if (typeof t !== "number") return "";
  if (model.startedMs === null) return t.toFixed(1) + " s into the recording";
  return new Date(model.startedMs + t * 1000).toLocaleTimeString();
}

// A source of phones that cannot be read, said in words, instead of "no phone seen".
function drawSources() {
  const broken = [...model.sources.values()].filter((s) => !s.ok);
  $("source-problems").replaceChildren(...broken.map((s) =>
    el("p", { class: "warn", "data-source": s.name }, (s.help || "This source of phones could not be read.") + (s.error ? " (" + s.error + ")" : ""))));
  return broken.length > 0;
}

function setStatus(text, down) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("down", down);
}

function schedule() {
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(draw);
}

// ---------- drawing ----------
function draw() {
  dirty = false;
  drawPorts();
  drawAlerts();
  drawRestores();
  const now = performance.now();
  for (const t of pending) timings.push(now - t);
  pending.length = 0;
  if (timings.length > 20000) timings.splice(0, timings.length - 20000);
}

function hubOf(port) {
  const cut = port.lastIndexOf(".");
  return cut < 0 ? "computer" : "hub " + port.slice(0, cut);
}

function portOrder(a, b) {
  const parts = (s) => s.split(/[-.]/).map(Number);
  const x = parts(a), y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function drawPorts() {
  const hubs = new Map();
  for (const name of [...model.ports.keys()].sort(portOrder)) {
    const key = hubOf(name);
    if (!hubs.has(key)) hubs.set(key, []);
    hubs.get(key).push(model.ports.get(name));
  }
  const box = $("hubs");
  box.replaceChildren(...[...hubs].map(([hub, ports]) =>
    el("div", { class: "hub" }, el("h3", { text: hub === "computer" ? "On the computer" : "Behind " + hub }),
      el("div", { class: "ports" }, ...ports.map(portCard)))));
  const blind = drawSources();
  $("no-ports").hidden = model.ports.size > 0 || blind;
}

function portCard(p) {
  const d = p.device || {};
  const classes = ["port", p.present ? "present" : "gone", p.drops > 0 || p.loops > 0 ? "dropping" : ""].join(" ");
  const card = el("article", { class: classes, "data-port": p.port });
  // The tracker's stage tells restore mode from a booted phone (both show product id 0x12a8).
  const stageBadge = { "restore-mode": "restore", restored: "restored", dfu: "dfu", recovery: "recovery", normal: "normal", wtf: "wtf" };
  const mode = p.present ? (stageBadge[p.stage] || d.mode || "?") : "gone";
  card.append(
    el("span", { class: "mode " + mode, text: mode }),
    el("div", { class: "name", text: p.port }),
    el("div", { class: "model", text: d.name || d.product_type || "model unknown" }),
    d.ecid ? el("div", { class: "quiet", text: "ECID " + d.ecid }) : null,
    p.stage_words ? el("div", { class: "stage", text: p.stage_words }) : null,
  );
  const restore = p.restore ? model.restores.get(p.restore) : null;
  if (restore && restore.state === "running") {
    card.append(el("div", { text: (restore.phase_words || "starting") }),
      el("progress", { max: "1", value: String(restore.fraction ?? 0) }));
  }
  const counts = el("div", { class: "counts" });
  const count = (n, one, many) => el("span", { class: n > 0 ? "bad" : "", text: n + " " + (n === 1 ? one : many) + " " });
  counts.append(count(p.drops, "drop", "drops"), count(p.loops, "loop", "loops"), count(p.glitches, "glitch", "glitches"));
  card.append(counts);
  if (p.last) card.append(el("div", { class: "last", text: when(p.last.t) + " · " + p.last.message }));
  if (p.note) card.append(el("div", { class: "note", text: when(p.note.t) + " · " + p.note.message }));
  if (model.restoresEnabled && p.present && (d.mode === "dfu" || d.mode === "recovery") && d.ecid && !(restore && restore.state === "running")) {
    const button = el("button", { type: "button", class: "restore-button", text: "Restore…" });
    button.addEventListener("click", () => openRestore(p));
    card.append(button);
  }
  // A phone in recovery mode can be told to start iOS again, keeping its data.
  if (model.exitEnabled && p.present && d.mode === "recovery" && d.ecid && !(restore && restore.state === "running")) {
    const leave = el("button", { type: "button", class: "exit-button", text: "Leave recovery mode" });
    leave.addEventListener("click", () => { exitRecovery(p.port, leave).catch((e) => { leave.textContent = String(e); }); });
    card.append(leave);
  }
  return card;
}

function drawAlerts() {
  const list = $("alerts");
  const recent = model.alerts.slice(-50).reverse();
  list.replaceChildren(...recent.map((a) => {
    const item = el("li", { class: "alert", "data-port": a.port || "" },
      el("span", { class: "kind " + a.kind, text: a.kind }), " ",
      el("span", { text: (a.port ? "port " + a.port + " · " : "") + when(a.t) + (a.phase_words || a.phase ? " · " + (a.phase_words || a.phase) : "") }),
      el("div", { text: a.message }));
    if (a.next_step) item.append(el("span", { class: "next", text: "Next: " + a.next_step.name + " — " + a.next_step.why }));
    return item;
  }));
  $("no-alerts").hidden = model.alerts.length > 0;
}

function drawRestores() {
  const box = $("restores");
  const all = [...model.restores.values()].sort((a, b) => b.id - a.id);
  box.replaceChildren(...all.map((r) => {
    const verdict = r.verdict || {};
    const next = verdict.next_step ? "Next: " + verdict.next_step.name + " — " + verdict.next_step.why : "";
    return el("div", { class: "restore", "data-restore": String(r.id) },
      el("div", {}, el("strong", { text: "Port " + r.port }), " · ", el("span", { class: "state " + r.state, text: r.state }),
        r.erase ? " · erase" : " · update", r.phase_words ? " · " + r.phase_words : ""),
      r.state === "running" ? el("progress", { max: "1", value: String(r.fraction ?? 0) }) : null,
      next ? el("div", { class: "warn", text: next }) : null,
      verdict.error ? el("div", { class: "warn", text: verdict.error }) : null,
      el("pre", { class: "log", text: r.log.join("\n") }));
  }));
  $("no-restores").hidden = model.restores.size > 0;
}

async function loadCases() {
  let data;
  try {
    const response = await fetch("/api/cases", { cache: "no-store" });
    if (!response.ok) return;
    data = await response.json();
  } catch { return; }
  const worst = Math.max(0, ...data.ports.map((p) => p.drops));
  $("port-history").tBodies[0].replaceChildren(...data.ports.map((p) =>
    el("tr", { class: worst > 0 && p.drops === worst ? "worst" : "" },
      el("td", { text: p.port }), el("td", { text: String(p.cases) }),
      el("td", { text: String(p.drops) }), el("td", { text: String(p.needs_repair) }))));
  $("cases").replaceChildren(...data.cases.map((c) => {
    const link = el("a", { href: "/api/cases/" + encodeURIComponent(c.id) + "/report", target: "_blank", rel: "noopener", text: c.id });
    const code = c.code !== null && c.code !== undefined ? "error " + c.code : "no code";
    return el("li", {}, link, " · " + (c.status || "") + " · " + code);
  }));
  $("no-cases").hidden = data.cases.length > 0;
}

// ---------- leaving recovery mode ----------
async function exitRecovery(port, button) {
  button.disabled = true;
  const response = await fetch("/api/exit-recovery", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ port }),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    button.textContent = answer.error || "could not be sent (" + response.status + ")";
  }
}

// ---------- starting a restore ----------
let restorePort = null;
let eraseAsked = false;

function openRestore(p) {
  restorePort = p.port;
  eraseAsked = false;
  const d = p.device || {};
  $("restore-port").textContent = p.port;
  $("restore-phone").textContent = (d.name || d.product_type || "Model unknown") + (d.mode ? " in " + d.mode + " mode" : "");
  $("restore-form").reset();
  $("erase-word").value = "";
  $("restore-error").textContent = "";
  updateRestoreForm();
  $("restore-dialog").showModal();
}

function erasing() {
  return document.querySelector("input[name=kind]:checked").value === "erase";
}

function updateRestoreForm() {
  const erase = erasing();
  $("erase-box").hidden = !erase;
  $("erase-again").hidden = !(erase && eraseAsked);
  const typed = $("erase-word").value.trim() === "erase";
  const start = $("restore-start");
  start.disabled = erase && !typed;
  start.textContent = erase ? (eraseAsked ? "Yes, erase the phone on " + restorePort : "Erase…") : "Start update";
}

async function startRestore() {
  const erase = erasing();
  if (erase && $("erase-word").value.trim() !== "erase") return;
  if (erase && !eraseAsked) {
    eraseAsked = true;
    $("erase-again-text").textContent = "Last check: erase the phone on port " + restorePort + "? This cannot be undone.";
    updateRestoreForm();
    return;
  }
  const body = { port: restorePort, ipsw: $("restore-ipsw").value || null, erase, typed: erase ? $("erase-word").value : null, confirmed: erase && eraseAsked };
  const response = await fetch("/api/restores", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ error: "HTTP " + response.status }));
    $("restore-error").textContent = problem.error;
    return;
  }
  $("restore-dialog").close();
}

function wireRestoreDialog() {
  for (const input of document.querySelectorAll("input[name=kind]")) input.addEventListener("change", () => { eraseAsked = false; updateRestoreForm(); });
  $("erase-word").addEventListener("input", () => { eraseAsked = false; updateRestoreForm(); });
  $("restore-start").addEventListener("click", () => { startRestore().catch((e) => { $("restore-error").textContent = String(e); }); });
  $("restore-cancel").addEventListener("click", () => $("restore-dialog").close());
}

wireRestoreDialog();
load().catch(() => setStatus("the server did not answer — retrying…", true)).finally(connect);
