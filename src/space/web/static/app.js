// SPACE practice page: record (or upload) a word, send it as WAV, show what came back.
// Vanilla JS, no build step. The feedback picture is drawn here, on a canvas, from the
// `drawing` object of /api/score (spectrogram codes, DTW path, per-frame costs): the page
// never waits for a server-rendered PNG (that one is only fetched for "Download as PNG"). The browser records at its own rate (often 48 kHz); the server
// resamples, so the page only packs the samples into a 16-bit WAV.
"use strict";

const MAX_RECORD_S = 4; // one word; the server refuses long uploads anyway
const MAX_SEQUENCE_S = 20; // several digits in a row (the server takes up to 30 s)
const $ = (id) => document.getElementById(id);

const state = {
  words: [],          // from /api/words
  defaultModel: null,
  attemptBlob: null,  // the last attempt (WAV or the uploaded file)
  result: null,       // the last /api/score answer
  rec: null,          // the recording in progress
  ctx: null,          // AudioContext for playing segments
  seqBlob: null,      // the last recording of several digits
  seqResult: null,    // the last /api/sequence answer
};

function setStatus(text, isError = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

async function api(path, options) {
  const r = await fetch(path, options);
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) {
    let msg = body && body.detail ? body.detail : `${r.status} ${r.statusText}`;
    if (Array.isArray(msg)) msg = msg.map((d) => d.msg).join("; ");
    throw new Error(msg);
  }
  return body;
}

async function loadWords() {
  try {
    const data = await api("/api/words");
    state.words = data.words;
    state.defaultModel = data.default_model;
    const sel = $("word");
    sel.innerHTML = "";
    for (const w of data.words) {
      const o = document.createElement("option");
      o.value = w.word;
      o.textContent = w.display + (w.source === "user" ? " (yours)" : "");
      sel.appendChild(o);
    }
    const wanted = new URLSearchParams(location.search).get("word");
    if (wanted && data.words.some((w) => w.word === wanted)) sel.value = wanted;
    $("record").disabled = data.words.length === 0;
    setStatus(data.words.length ? "Pick a word, press Record and say it." :
      "No words with references are installed.", !data.words.length);
  } catch (e) {
    setStatus("Could not load the word list: " + e.message, true);
  }
}

// ---- recording -------------------------------------------------------------------------

// One recorder for both cards: `target` says which button, status line, time limit and
// what to do with the WAV (the practice word by default).
const PRACTICE = { button: "record", maxS: MAX_RECORD_S, say: "say the word",
                   status: (t, e) => setStatus(t, e), done: (b, n) => submit(b, n) };
const SEQUENCE = { button: "seq-record", maxS: MAX_SEQUENCE_S, say: "say the digits",
                   status: (t, e) => setSeqStatus(t, e), done: (b, n) => submitSequence(b, n) };

async function startRecording(target = PRACTICE) {
  const setStatus = target.status;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    setStatus("This browser cannot record (it needs https or localhost).", true);
    return;
  }
  const ctx = new AudioContext();
  await ctx.audioWorklet.addModule("/static/recorder.js");
  let stream;
  try {
    // Raw microphone: the browser's voice processing would colour the attempt.
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false,
               channelCount: 1 } });
  } catch (e) {
    ctx.close();
    setStatus("No microphone: " + e.message + ". You can upload a file instead.", true);
    return;
  }
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, "recorder");
  const mute = ctx.createGain();
  mute.gain.value = 0; // pulled by the graph, never heard (no feedback)
  const chunks = [];
  node.port.onmessage = (e) => chunks.push(e.data);
  source.connect(node).connect(mute).connect(ctx.destination);
  const timer = setTimeout(stopRecording, target.maxS * 1000);
  state.rec = { ctx, stream, node, chunks, timer, sr: ctx.sampleRate, target };
  const b = $(target.button);
  b.textContent = "■ Stop";
  b.classList.add("on");
  setStatus(`Recording at ${ctx.sampleRate} Hz… ${target.say}, then press Stop.`);
}

async function stopRecording() {
  const rec = state.rec;
  if (!rec) return;
  state.rec = null;
  clearTimeout(rec.timer);
  rec.stream.getTracks().forEach((t) => t.stop());
  rec.node.port.onmessage = null;
  await rec.ctx.close();
  const b = $(rec.target.button);
  b.textContent = "● Record";
  b.classList.remove("on");
  const n = rec.chunks.reduce((a, c) => a + c.length, 0);
  const y = new Float32Array(n);
  let off = 0;
  for (const c of rec.chunks) { y.set(c, off); off += c.length; }
  if (n === 0) { rec.target.status("Nothing was recorded.", true); return; }
  await rec.target.done(encodeWav(y, rec.sr), "recording.wav");
}

function encodeWav(y, sr) {
  const buf = new ArrayBuffer(44 + 2 * y.length);
  const v = new DataView(buf);
  const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  str(0, "RIFF"); v.setUint32(4, 36 + 2 * y.length, true); str(8, "WAVE");
  str(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, sr, true); v.setUint32(28, 2 * sr, true); v.setUint16(32, 2, true);
  v.setUint16(34, 16, true); str(36, "data"); v.setUint32(40, 2 * y.length, true);
  for (let i = 0; i < y.length; i++) {
    const s = Math.max(-1, Math.min(1, y[i]));
    v.setInt16(44 + 2 * i, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Blob([buf], { type: "audio/wav" });
}

// ---- sending and showing ---------------------------------------------------------------

// A new attempt clears the last one's result first: if it is refused, nothing on the page
// (picture title, "worst part only", phone playback) may show the old result as the new file's.
function clearResult() {
  state.result = null;
  state.attemptBlob = null;
  state.attemptName = null;
  $("result").hidden = true;
}

async function submit(blob, filename) {
  const word = $("word").value;
  const info = state.words.find((w) => w.word === word) || {};
  clearResult();
  state.attemptBlob = blob;
  setStatus("Scoring…");
  const fd = () => { const f = new FormData(); f.append("file", blob, filename); return f; };
  const scoreForm = fd();
  scoreForm.append("word", word);
  scoreForm.append("phones", "true"); // a score per sound, for the coloured phone strip
  state.attemptName = filename;
  // A word a model knows: the score's `recognized` already says what that model heard, so
  // one request does. A word of the user's own: ask the default model separately.
  let heardReq = null;
  if (!info.model) {
    const predictForm = fd();
    predictForm.append("model", state.defaultModel);
    heardReq = api("/api/predict", { method: "POST", body: predictForm });
  }
  try {
    const [score, predicted] = await Promise.all([
      api("/api/score", { method: "POST", body: scoreForm }), heardReq]);
    const heard = predicted || score.recognized ||
      { label: "?", probability: 0 }; // no model knows the word and none answered
    show(score, heard, word, info);
    setStatus("Done. Press Record to try again.");
  } catch (e) {
    clearResult();
    setStatus(e.message, true);
  }
}

function show(score, heard, word, info) {
  state.result = score;
  $("result").hidden = false;
  const model = info.model ? ` (model: ${info.model})` : "";
  $("heard").textContent = heard.label;
  const detail = $("heard-detail");
  detail.innerHTML = "";
  detail.append(`${Math.round(100 * heard.probability)}% sure${model}. `);
  if (info.model) {
    const m = document.createElement("span");
    const ok = heard.label === word;
    m.className = ok ? "match" : "nomatch";
    m.textContent = ok ? "✓ the word you chose" : `✗ you chose ${word}`;
    detail.append(m);
  }
  $("heard").dataset.label = heard.label;
  $("score").textContent = Math.round(score.score);
  const band = $("band");
  band.textContent = score.band;
  band.className = "band " + score.band;
  // The recording's own quality (noise, clipping, level, band): what limits the score
  // besides the pronunciation; its warnings are listed with the others below.
  const q = score.quality;
  $("quality").textContent = q ? q.label : "–";
  $("quality").className = "mid " + (q ? q.label : "");
  $("quality-detail").textContent = q ? `${Math.round(q.score)}/100 · noise ${Math.round(q.snr_db)} dB ` +
    `below the voice · up to ${(q.bandwidth_hz / 1000).toFixed(1)} kHz` : "";
  const warn = $("warnings");
  warn.innerHTML = "";
  for (const w of score.warnings || []) {
    const li = document.createElement("li");
    li.textContent = w;
    warn.appendChild(li);
  }
  $("attempt-audio").src = URL.createObjectURL(state.attemptBlob);
  const ref = score.reference_urls[score.best_reference];
  $("ref-audio").src = ref;
  $("ref-name").textContent = `(closest: ${score.references[score.best_reference]})`;
  const segs = $("segments");
  segs.innerHTML = "";
  for (const s of score.segments) {
    const li = document.createElement("li");
    li.textContent = `${s.attempt_start_s.toFixed(2)}–${s.attempt_end_s.toFixed(2)} s of yours ` +
      `vs ${s.reference_start_s.toFixed(2)}–${s.reference_end_s.toFixed(2)} s of the reference` +
      (s.ipa && s.ipa.length ? ` (sounds ${s.ipa.map((x) => `/${x}/`).join(" ")})` : "");
    segs.appendChild(li);
  }
  const hasSeg = score.segments.length > 0;
  $("play-attempt-worst").disabled = !hasSeg;
  $("play-ref-worst").disabled = !hasSeg;
  showPhones(score);
  drawFeedback($("picture"), score);
}

// ---- the word's sounds, coloured by score ----------------------------------------------

const PHONE_PAD_S = 0.06; // a phone is 30-150 ms: a little context either side to hear it
const LEVEL_TEXT = { good: "", fair: " (fair)", weak: " (weak)" };
const LEVEL_MARK = { good: "", fair: "~", weak: "!" }; // not by colour alone

// The phone strip: one button per sound of the word (IPA), coloured and marked by its
// score level (score.drawing.phone_feedback, the server's rule), width by duration; the
// weakest one outlined, named in words and selected for the play buttons.
function showPhones(score) {
  const box = $("phones-box"), strip = $("phones");
  const phones = score.phones || [];
  const fb = (score.drawing && score.drawing.phone_feedback) ||
    { levels: [], weakest: null, text: null, caveat: null };
  strip.innerHTML = "";
  state.phone = null;
  box.hidden = phones.length === 0;
  if (!phones.length) return;
  phones.forEach((p, k) => {
    const level = fb.levels[k] || "fair";
    const b = document.createElement("button");
    b.type = "button";
    b.className = `phone ${level}` + (k === fb.weakest ? " weakest" : "");
    b.dataset.index = String(k);
    const dur = (p.attempt_end_s ?? 0) - (p.attempt_start_s ?? 0);
    b.style.flexGrow = String(Math.max(0.04, dur));
    const like = p.sounded_like_ipa ? `, sounded like /${p.sounded_like_ipa}/` : "";
    const desc = `/${p.ipa}/ score ${Math.round(p.score)} of 100${LEVEL_TEXT[level] || ""}${like}`;
    b.setAttribute("aria-label", desc);
    b.setAttribute("aria-pressed", "false");
    const ipa = document.createElement("span");
    ipa.textContent = p.ipa;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = LEVEL_MARK[level] || "";
    const tip = document.createElement("span");
    tip.className = "tip";
    tip.setAttribute("aria-hidden", "true");
    tip.textContent = `${Math.round(p.score)}/100${like}`;
    b.append(ipa, mark, tip);
    b.addEventListener("click", () => selectPhone(k));
    strip.appendChild(b);
  });
  const line = $("phone-line");
  line.textContent = fb.text ? fb.text.charAt(0).toUpperCase() + fb.text.slice(1) + "."
    : "No sound of the word stood out as wrong.";
  line.classList.toggle("ok", !fb.text);
  $("phone-caveat").hidden = !fb.caveat;
  $("phone-caveat").textContent = fb.caveat ? fb.caveat.charAt(0).toUpperCase() + fb.caveat.slice(1) + "." : "";
  let k = fb.weakest;
  if (k === null || k === undefined) { // none weak: the lowest one is still worth a listen
    k = 0;
    phones.forEach((p, i) => { if (p.score < phones[k].score) k = i; });
  }
  selectPhone(k);
}

function selectPhone(k) {
  const phones = (state.result && state.result.phones) || [];
  const p = phones[k];
  if (!p) return;
  state.phone = k;
  for (const b of $("phones").children) {
    const on = Number(b.dataset.index) === k;
    b.classList.toggle("selected", on);
    b.setAttribute("aria-pressed", String(on));
  }
  for (const el of document.querySelectorAll(".phone-play .which")) el.textContent = `/${p.ipa}/`;
  $("play-phone-attempt").disabled = p.attempt_start_s === undefined;
  $("play-phone-ref").disabled = p.reference_start_s === undefined;
}

function selectedPhone() {
  const phones = (state.result && state.result.phones) || [];
  return state.phone === null || state.phone === undefined ? null : phones[state.phone];
}

// The reference the phone's reference_* times are in: the phone scorer's closest one.
function phoneReferenceUrl(p) {
  const r = state.result;
  const i = Number.isInteger(p.reference_index) ? p.reference_index : r.best_reference;
  return r.reference_urls[i] || r.reference_urls[r.best_reference];
}

// ---- the feedback picture, drawn from score.drawing ------------------------------------

// matplotlib's "magma" at 6 stops, interpolated to a 256-entry lookup table.
const MAGMA = [[0, 0, 4], [59, 15, 112], [140, 41, 129], [222, 73, 104], [254, 159, 109],
               [252, 253, 191]];
const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (MAGMA.length - 1);
    const k = Math.min(MAGMA.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = MAGMA[k][c] + f * (MAGMA[k + 1][c] - MAGMA[k][c]);
  }
  return lut;
})();
const SHADE = "rgba(214, 39, 40, 0.28)";

// base64 spectrogram codes (row-major [band][column], band 0 lowest) -> an offscreen canvas
// one pixel per cell, low bands at the bottom.
function specImage(spec) {
  const bytes = Uint8Array.from(atob(spec.spec), (c) => c.charCodeAt(0));
  const cv = document.createElement("canvas");
  cv.width = spec.columns;
  cv.height = spec.bands;
  const g = cv.getContext("2d");
  const img = g.createImageData(spec.columns, spec.bands);
  for (let b = 0; b < spec.bands; b++) {
    const row = spec.bands - 1 - b;
    for (let j = 0; j < spec.columns; j++) {
      const v = bytes[b * spec.columns + j], o = 4 * (row * spec.columns + j);
      img.data[o] = LUT[3 * v]; img.data[o + 1] = LUT[3 * v + 1]; img.data[o + 2] = LUT[3 * v + 2];
      img.data[o + 3] = 255;
    }
  }
  g.putImageData(img, 0, 0);
  return cv;
}

// A panel: a rectangle with a data range in x and y and helpers to map into it.
function panel(g, x, y, w, h, x0, x1, y0, y1) {
  const p = { x, y, w, h, x0, x1, y0, y1 };
  p.px = (v) => x + ((v - x0) / (x1 - x0 || 1)) * w;
  p.py = (v) => y + h - ((v - y0) / (y1 - y0 || 1)) * h;
  p.frame = () => { g.strokeStyle = "#9aa3b1"; g.lineWidth = 1; g.strokeRect(x, y, w, h); };
  p.clip = (fn) => { g.save(); g.beginPath(); g.rect(x, y, w, h); g.clip(); fn(); g.restore(); };
  return p;
}

function ticks(g, p, axis, n = 4, label = "") {
  g.fillStyle = "#4a5566";
  g.font = "11px system-ui, sans-serif";
  const [a, b] = axis === "x" ? [p.x0, p.x1] : [p.y0, p.y1];
  const raw = (b - a) / n, mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  for (let v = Math.ceil(a / step) * step; v <= b + 1e-9; v += step) {
    const t = Math.abs(v) < 1e-9 ? "0" : (step >= 1 ? v.toFixed(0) : v.toFixed(step >= 0.1 ? 1 : 2));
    if (axis === "x") {
      g.textAlign = "center"; g.textBaseline = "top";
      g.fillText(t, p.px(v), p.y + p.h + 3);
    } else {
      g.textAlign = "right"; g.textBaseline = "middle";
      g.fillText(t, p.x - 4, p.py(v));
    }
  }
  if (label) {
    g.textAlign = "center"; g.textBaseline = "top";
    if (axis === "x") g.fillText(label, p.x + p.w / 2, p.y + p.h + 16);
    else { g.save(); g.translate(p.x - 40, p.y + p.h / 2); g.rotate(-Math.PI / 2);
           g.fillText(label, 0, 0); g.restore(); }
  }
}

function title(g, p, text) {
  g.fillStyle = "#1d2430"; g.font = "12px system-ui, sans-serif";
  g.textAlign = "left"; g.textBaseline = "bottom";
  g.fillText(text, p.x, p.y - 3);
}

// Frame i of a drawing entry -> seconds into its recording (frame centres).
const frameTime = (s, i) => s.offset_s + i * s.hop_s;

function drawSpec(g, p, spec, spans) {
  g.imageSmoothingEnabled = false;
  g.drawImage(specImage(spec), p.x, p.y, p.w, p.h);
  p.clip(() => {
    spans.forEach(([a, b], k) => {
      g.fillStyle = SHADE;
      g.fillRect(p.px(a), p.y, p.px(b) - p.px(a), p.h);
      g.strokeStyle = "rgba(255, 255, 255, 0.8)"; g.setLineDash([4, 3]); g.lineWidth = 1;
      g.strokeRect(p.px(a), p.y + 1, p.px(b) - p.px(a), p.h - 2);
      g.setLineDash([]);
      g.fillStyle = "#fff"; g.font = "bold 12px system-ui, sans-serif";
      g.textAlign = "center"; g.textBaseline = "top";
      g.fillText(String(k + 1), (p.px(a) + p.px(b)) / 2, p.y + 3);
    });
  });
  p.frame();
}

// A canvas sized to its CSS box at the screen's pixel ratio, cleared to white.
function blankCanvas(canvas, defaultH) {
  const g = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth || 960, H = canvas.clientHeight || defaultH;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, W, H);
  return { g, W, H };
}

function drawFeedback(canvas, score) {
  const d = score.drawing;
  const { g, W, H } = blankCanvas(canvas, 400);
  if (!d) { canvas.dataset.drawn = "0"; return; }
  const att = d.attempt, ref = d.reference, segs = score.segments || [];
  const left = 56, split = Math.round(W * 0.64), right = W - 12;
  const gap = 34; // room for one panel's tick labels and the next one's title
  // The word's phones as a strip under the attempt, on its time axis (as in the PNG).
  const phones = (score.phones || []).filter((p) =>
    Number.isFinite(p.attempt_start_s) && Number.isFinite(p.attempt_end_s));
  const stripH = phones.length ? 22 : 0, stripTop = phones.length ? 17 : 0;
  const ph = Math.floor((H - 20 - 2 * gap - 36 - stripH - stripTop) / 3);
  // Time spans of the pictures: a column is column_s wide, centred on its frames.
  const span = (s) => [s.offset_s - s.hop_s / 2, s.offset_s - s.hop_s / 2 + s.columns * s.column_s];
  const [ra, rb] = span(ref), [aa, ab] = span(att);

  const pr = panel(g, left, 20, split - left, ph, ra, rb, 0, 1);
  title(g, pr, `closest reference: ${score.references[score.best_reference]}`);
  drawSpec(g, pr, ref, segs.map((s) => [s.reference_start_s, s.reference_end_s]));
  ticks(g, pr, "x");

  const pa = panel(g, left, 20 + ph + gap, split - left, ph, aa, ab, 0, 1);
  title(g, pa, `attempt: ${state.attemptName || "your recording"}`);
  drawSpec(g, pa, att, segs.map((s) => [s.attempt_start_s, s.attempt_end_s]));
  ticks(g, pa, "x");

  if (phones.length) {
    const ps = panel(g, left, pa.y + ph + stripTop, split - left, stripH, aa, ab, 0, 1);
    drawPhoneStrip(g, ps, phones, d.phone_feedback || { levels: [], weakest: null });
  }
  canvas.dataset.phones = String(phones.length);

  const costs = d.frame_costs;
  const top = 1.1 * Math.max(d.d0, ...costs);
  const pc = panel(g, left, 20 + 2 * (ph + gap) + stripH + stripTop, split - left, ph, aa, ab,
                   0, top);
  title(g, pc, "how far each moment of your attempt is from the reference");
  pc.clip(() => {
    for (const s of segs) {
      g.fillStyle = SHADE;
      g.fillRect(pc.px(s.attempt_start_s), pc.y, pc.px(s.attempt_end_s) - pc.px(s.attempt_start_s), pc.h);
    }
    const hline = (v, color, dash) => {
      g.strokeStyle = color; g.setLineDash(dash); g.lineWidth = 1;
      g.beginPath(); g.moveTo(pc.x, pc.py(v)); g.lineTo(pc.x + pc.w, pc.py(v)); g.stroke();
    };
    hline(d.d100, "#2ca02c", [5, 3]);
    hline(d.d0, "#d62728", [2, 3]);
    g.setLineDash([]);
    g.strokeStyle = "#111"; g.lineWidth = 1.3;
    g.beginPath();
    costs.forEach((c, i) => {
      const x = pc.px(frameTime(att, i)), y = pc.py(c);
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
  });
  pc.frame();
  ticks(g, pc, "x", 4, "attempt time (s)");
  ticks(g, pc, "y", 3, "cost");
  g.font = "11px system-ui, sans-serif"; g.textAlign = "right"; g.textBaseline = "bottom";
  g.fillStyle = "#2ca02c"; g.fillText("references' own distance", pc.x + pc.w - 4, pc.py(d.d100) - 1);
  g.fillStyle = "#d62728"; g.fillText("a typical other word", pc.x + pc.w - 4, pc.py(d.d0) - 1);

  // The alignment: which moment of the reference each moment of the attempt was matched
  // to, coloured by how far apart they were (green close, red far).
  const pm = panel(g, split + 58, 20, right - split - 58, H - 20 - 40, ra, rb, aa, ab);
  title(g, pm, "alignment (DTW path)");
  pm.clip(() => {
    for (const s of segs) {
      g.fillStyle = SHADE;
      g.fillRect(pm.x, pm.py(s.attempt_end_s), pm.w, pm.py(s.attempt_start_s) - pm.py(s.attempt_end_s));
    }
    const lo = d.d100, hi = Math.max(d.d0, lo + 1e-6);
    g.lineWidth = 2.5; g.lineCap = "round";
    for (let k = 1; k < d.path.length; k++) {
      const f = Math.max(0, Math.min(1, (d.path_cost[k] - lo) / (hi - lo)));
      g.strokeStyle = `rgb(${Math.round(40 + 200 * f)}, ${Math.round(170 - 120 * f)}, 60)`;
      g.beginPath();
      g.moveTo(pm.px(frameTime(ref, d.path[k - 1][1])), pm.py(frameTime(att, d.path[k - 1][0])));
      g.lineTo(pm.px(frameTime(ref, d.path[k][1])), pm.py(frameTime(att, d.path[k][0])));
      g.stroke();
    }
  });
  pm.frame();
  ticks(g, pm, "x", 3, "reference time (s)");
  ticks(g, pm, "y", 4, "attempt time (s)");
  canvas.dataset.drawn = String(1 + Number(canvas.dataset.drawn || 0));
}

// Phone boxes along the attempt's time axis: coloured by level (green, amber, red), weak
// ones hatched, the weakest outlined, IPA written in (the PNG's strip, plot.py).
const PHONE_COLOURS = { good: "#2e9e44", fair: "#e3a21a", weak: "#d23b3b" };
function drawPhoneStrip(g, p, phones, fb) {
  p.clip(() => {
    phones.forEach((ph, k) => {
      const level = fb.levels[k] || "fair";
      const x0 = p.px(ph.attempt_start_s), x1 = p.px(ph.attempt_end_s);
      g.fillStyle = PHONE_COLOURS[level] || "#888";
      g.fillRect(x0, p.y, x1 - x0, p.h);
      if (level === "weak") {
        g.save(); g.beginPath(); g.rect(x0, p.y, x1 - x0, p.h); g.clip();
        g.strokeStyle = "rgba(255, 255, 255, 0.35)"; g.lineWidth = 1.5;
        for (let x = x0 - p.h; x < x1; x += 6) {
          g.beginPath(); g.moveTo(x, p.y + p.h); g.lineTo(x + p.h, p.y); g.stroke();
        }
        g.restore();
      }
      g.strokeStyle = k === fb.weakest ? "#111" : "#fff";
      g.lineWidth = k === fb.weakest ? 2.5 : 1;
      g.strokeRect(x0 + 0.5, p.y + 0.5, x1 - x0 - 1, p.h - 1);
      g.fillStyle = level === "fair" ? "#1d2430" : "#fff";
      g.font = `${k === fb.weakest ? "bold " : ""}13px system-ui, sans-serif`;
      g.textAlign = "center"; g.textBaseline = "middle";
      g.fillText(ph.ipa, (x0 + x1) / 2, p.y + p.h / 2);
    });
  });
  p.frame();
}

// The same picture drawn by the server (matplotlib), for keeping: asks /api/score again
// with plot=true for the last attempt and saves the PNG it returns.
async function downloadPng() {
  if (!state.attemptBlob || !state.result) return;
  const f = new FormData();
  f.append("file", state.attemptBlob, state.attemptName || "attempt.wav");
  f.append("word", state.result.word);
  f.append("plot", "true");
  f.append("phones", "true"); // the picture then shows the phone strip too
  setStatus("Drawing the PNG…");
  try {
    const r = await api("/api/score", { method: "POST", body: f });
    const a = document.createElement("a");
    a.href = r.plot_png;
    a.download = `space-${state.result.word}-feedback.png`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setStatus("Saved the picture.");
  } catch (e) {
    setStatus("Could not make the PNG: " + e.message, true);
  }
}

// Play [start, end) seconds of an audio file alone (the worst segment, a phone), with
// `pad` seconds of context either side. What was played last is noted on the result card
// (data-played: which recording, from, to) for tests and assistive tools.
async function playSpan(blobOrUrl, start, end, pad = 0.05) {
  const from = Math.max(0, start - pad);
  $("result").dataset.played = JSON.stringify({
    source: typeof blobOrUrl === "string" ? blobOrUrl : "attempt",
    start_s: Number(from.toFixed(3)), end_s: Number((end + pad).toFixed(3)) });
  const data = typeof blobOrUrl === "string"
    ? await (await fetch(blobOrUrl)).arrayBuffer() : await blobOrUrl.arrayBuffer();
  state.ctx = state.ctx || new AudioContext();
  const buf = await state.ctx.decodeAudioData(data);
  const src = state.ctx.createBufferSource();
  src.buffer = buf;
  src.connect(state.ctx.destination);
  // a little context either side makes a short span audible
  src.start(0, from, Math.max(0, Math.min(buf.duration - from, end + pad - from)));
}

// ---- several digits in a row: /api/sequence ---------------------------------------------

function setSeqStatus(text, isError = false) {
  const s = $("seq-status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

function clearSequence() {
  state.seqResult = null;
  state.seqBlob = null;
  state.seqName = null;
  $("seq-result").hidden = true;
}

async function submitSequence(blob, filename) {
  clearSequence(); // as clearResult: a refused recording leaves no old digits behind
  state.seqBlob = blob;
  state.seqName = filename;
  const f = new FormData();
  f.append("file", blob, filename);
  f.append("grammar", $("seq-grammar").value);
  setSeqStatus("Listening to the recording…");
  try {
    const res = await api("/api/sequence", { method: "POST", body: f });
    showSequence(res);
    setSeqStatus(res.words.length ? `Heard ${res.words.length} digit(s). Press Record to try again.`
      : "No digits heard. Press Record to try again.", !res.words.length);
  } catch (e) {
    clearSequence();
    setSeqStatus(e.message, true);
  }
}

function showSequence(res) {
  state.seqResult = res;
  $("seq-result").hidden = false;
  $("seq-heard").textContent = res.sequence.length ? res.sequence.join(" ") : "–";
  const warn = $("seq-warnings");
  warn.innerHTML = "";
  for (const w of res.warnings || []) {
    const li = document.createElement("li");
    li.textContent = w;
    warn.appendChild(li);
  }
  $("seq-audio").src = URL.createObjectURL(state.seqBlob);
  const list = $("seq-words");
  list.innerHTML = "";
  res.words.forEach((w) => {
    const li = document.createElement("li");
    li.className = "word";
    const alt = w.top_k.filter((k) => k.label !== w.label).slice(0, 1)
      .map((k) => `, else ${k.label}`).join("");
    li.textContent = `${w.label}: ${w.start_s.toFixed(2)}–${w.end_s.toFixed(2)} s ` +
      `(${Math.round(100 * w.probability)}% sure${alt})`;
    li.title = "play this digit";
    li.addEventListener("click", () => playSpan(state.seqBlob, w.start_s, w.end_s));
    list.appendChild(li);
  });
  drawSequence($("seq-picture"), res);
}

// The waveform (min/max per column) with each word's span shaded and its label on top,
// and a strip under it: one box per word, where it lies in time.
function drawSequence(canvas, res) {
  const d = res.drawing;
  const { g, W, H } = blankCanvas(canvas, 190);
  if (!d || !d.columns) { canvas.dataset.drawn = "0"; return; }
  const left = 56, right = W - 12, stripH = 26;
  const pw = panel(g, left, 22, right - left, H - 22 - stripH - 40, 0, d.duration_s, -1, 1);
  title(g, pw, `${state.seqName || "your recording"}: ${res.sequence.join(" ") || "no digits"}`);
  const scale = 1 / Math.max(d.peak, 1e-4); // a quiet recording still fills the panel
  pw.clip(() => {
    res.words.forEach((w) => {
      g.fillStyle = SHADE;
      g.fillRect(pw.px(w.start_s), pw.y, pw.px(w.end_s) - pw.px(w.start_s), pw.h);
    });
    g.fillStyle = "#2a5bb8";
    for (let k = 0; k < d.columns; k++) {
      const t0 = k * d.column_s, t1 = (k + 1) * d.column_s;
      const y0 = pw.py(Math.min(1, d.max[k] * scale)), y1 = pw.py(Math.max(-1, d.min[k] * scale));
      g.fillRect(pw.px(t0), y0, Math.max(1, pw.px(t1) - pw.px(t0)), Math.max(1, y1 - y0));
    }
    g.font = "bold 15px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "top";
    res.words.forEach((w) => {
      g.fillStyle = "#1d2430";
      g.fillText(w.label, (pw.px(w.start_s) + pw.px(w.end_s)) / 2, pw.y + 3);
    });
  });
  pw.frame();
  // The strip: one box per word, alternating colours so neighbours without a pause part.
  const sy = pw.y + pw.h + 6;
  const colours = ["#c62f3b", "#d08a00"];
  res.words.forEach((w, k) => {
    const x0 = pw.px(w.start_s), x1 = pw.px(w.end_s);
    g.fillStyle = colours[k % 2];
    g.fillRect(x0, sy, Math.max(2, x1 - x0 - 1), stripH);
    g.fillStyle = "#fff"; g.font = "bold 13px system-ui, sans-serif";
    g.textAlign = "center"; g.textBaseline = "middle";
    g.fillText(w.label, (x0 + x1) / 2, sy + stripH / 2);
  });
  const pt = panel(g, left, sy, right - left, stripH, 0, d.duration_s, 0, 1);
  ticks(g, pt, "x", 6, "time (s)");
  canvas.dataset.drawn = String(1 + Number(canvas.dataset.drawn || 0));
}

function worst() { return state.result && state.result.segments[0]; }

window.addEventListener("DOMContentLoaded", () => {
  loadWords();
  $("record").addEventListener("click", () => (state.rec ? stopRecording() : startRecording()));
  $("seq-record").addEventListener("click",
    () => (state.rec ? stopRecording() : startRecording(SEQUENCE)));
  $("seq-file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    if (f) submitSequence(f, f.name);
    e.target.value = "";
  });
  $("file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    if (f) submit(f, f.name);
    e.target.value = "";
  });
  $("play-attempt-worst").addEventListener("click", () => {
    const s = worst();
    if (s) playSpan(state.attemptBlob, s.attempt_start_s, s.attempt_end_s);
  });
  $("download-png").addEventListener("click", downloadPng);
  $("play-phone-attempt").addEventListener("click", () => {
    const p = selectedPhone();
    if (p) playSpan(state.attemptBlob, p.attempt_start_s, p.attempt_end_s, PHONE_PAD_S);
  });
  $("play-phone-ref").addEventListener("click", () => {
    const p = selectedPhone();
    if (p) playSpan(phoneReferenceUrl(p), p.reference_start_s, p.reference_end_s, PHONE_PAD_S);
  });
  window.addEventListener("resize", () => {
    if (state.result) drawFeedback($("picture"), state.result);
    if (state.seqResult) drawSequence($("seq-picture"), state.seqResult);
  });
  $("play-ref-worst").addEventListener("click", () => {
    const s = worst();
    if (s) playSpan(state.result.reference_urls[state.result.best_reference],
                    s.reference_start_s, s.reference_end_s);
  });
});
