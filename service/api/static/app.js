// app-vision UI: polls the REST API once a second; no build step, no dependencies.
"use strict";

const REFRESH_MS = 1000;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function time(ns) {
  return ns ? new Date(ns / 1e6).toLocaleTimeString() : "";
}

function renderCameras(cameras) {
  const box = document.getElementById("cameras");
  const seen = new Set();
  for (const cam of cameras) {
    seen.add(cam.name);
    let card = box.querySelector(`[data-camera="${CSS.escape(cam.name)}"]`);
    if (!card) {
      card = el("div", { class: "camera", "data-camera": cam.name },
        el("h3", {}, cam.name), el("img", { class: "snapshot", alt: `latest snapshot of ${cam.name}` }),
        el("div", { class: "stats" }));
      box.querySelector("p.muted")?.remove();
      box.append(card);
    }
    const img = card.querySelector("img.snapshot");
    if (cam.snapshotUrl && cam.lastAnalysedAt !== Number(img.dataset.analysed)) {
      img.dataset.analysed = cam.lastAnalysedAt;
      img.src = `${cam.snapshotUrl}?t=${cam.lastAnalysedAt}`;
    }
    const labels = cam.detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(", ") || "nothing";
    const drops = Object.entries(cam.drops).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
    const stream = cam.stream ? `stream ${cam.stream.state}` +
      (cam.stream.reconnects ? ` (${cam.stream.reconnects} reconnects)` : "") +
      (cam.stream.lastError ? ` · last error: ${cam.stream.lastError}` : "") + " · " : "";
    card.dataset.stream = cam.stream ? cam.stream.state : "";
    card.querySelector(".stats").textContent = stream +
      `${cam.fpsReceived} fps in, ${cam.fpsAnalysed} analysed · sees: ${labels} · drops: ${drops}` +
      (cam.lastLatencyMs !== null ? ` · latency ${cam.lastLatencyMs} ms` : "");
  }
  for (const card of box.querySelectorAll("[data-camera]")) {
    if (!seen.has(card.dataset.camera)) card.remove();
  }
}

function alertRow(alert) {
  const actions = alert.actions.map((a) => `${a.kind}: ${a.outcome}` +
    (a.latencyMs !== null && a.outcome === "delivered" ? ` (${a.latencyMs} ms)` : "")).join("; ");
  const shot = alert.snapshotUrl ? el("img", { src: alert.snapshotUrl, alt: "alert snapshot" }) : "";
  const clip = alert.clipReady ? el("a", { class: "clip", href: alert.clipUrl }, "clip") :
    (alert.clipUrl ? "clip pending" : "");
  return el("tr", { class: `alert ${alert.state}`, "data-alert-id": alert.alertId },
    el("td", {}, alert.state), el("td", {}, time(alert.startedAt)), el("td", { class: "rule" }, alert.rule),
    el("td", {}, alert.camera), el("td", { class: `sev-${alert.severity}` }, alert.severity),
    el("td", { class: "summary" }, alert.summary), el("td", {}, actions), el("td", {}, shot), el("td", {}, clip));
}

function renderAlerts(body) {
  const rows = [...body.active.slice().reverse(), ...body.recent].map(alertRow);
  const tbody = document.querySelector("#alerts tbody");
  if (rows.length) tbody.replaceChildren(...rows);
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [cameras, alerts] = await Promise.all([
      fetch("/api/v3/cameras").then((r) => r.json()),
      fetch("/api/v3/alerts?limit=50").then((r) => r.json()),
    ]);
    renderCameras(cameras.cameras);
    renderAlerts(alerts);
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    status.textContent = `cannot reach the service: ${err}`;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
