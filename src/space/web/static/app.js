// SPACE practice page: type (or pick) a word or a short sentence, record or upload an
// attempt, send it as WAV and show the one verdict that comes back: the score and band,
// what to work on, every word and sound coloured by the same judgement, and the server's
// feedback picture. Vanilla JS, no build step. The browser records at its own rate (often
// 48 kHz); the server resamples, so the page only packs the samples into a 16-bit WAV.
"use strict";

const MAX_RECORD_S = 10; // a word or a short sentence; the server refuses long uploads
const MAX_SEQUENCE_S = 20; // several digits in a row (the server takes up to 30 s)
const $ = (id) => document.getElementById(id);

const state = {
  words: [],          // from /api/words: suggestions to pick from
  attemptBlob: null,  // the last attempt (WAV or the uploaded file)
  attemptName: null,
  result: null,       // the last /api/score answer
  rec: null,          // the recording in progress
  ctx: null,          // AudioContext for playing spans
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

// Suggestions to pick from (the words with bundled or own recordings); any word of the
// pronunciation lexicon or a short sentence can be typed instead.
async function loadWords() {
  try {
    const data = await api("/api/words");
    state.words = data.words;
    const list = $("word-list");
    list.innerHTML = "";
    for (const w of data.words) {
      const o = document.createElement("option");
      o.value = w.display.replace(/^\d \((\w+)\)$/, "$1"); // '7 (seven)' -> 'seven'
      list.appendChild(o);
    }
  } catch (e) { /* the page works without suggestions */ }
  const q = new URLSearchParams(location.search);
  const wanted = q.get("text") || q.get("word"); // ?word= links from before sentences

  if (wanted) $("text").value = wanted;
  $("record").disabled = false;
  setStatus("Type a word or a short sentence (or pick one), press Record and say it.");
}

// ---- recording -------------------------------------------------------------------------

// One recorder for both cards: `target` says which button, status line, time limit and
// what to do with the WAV (the practice word by default).
const PRACTICE = { button: "record", maxS: MAX_RECORD_S, say: "say it",
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
  for (const id of ["words", "errors", "warnings"]) $(id).innerHTML = "";
  for (const id of ["picture", "attempt-audio"]) $(id).removeAttribute("src");
  delete $("result").dataset.played;
}

function askForText() {
  setStatus("First type the word or sentence you will say.", true);
  $("text").focus();
}

async function submit(blob, filename) {
  const text = $("text").value.trim();
  if (!text) { askForText(); return; }
  clearResult();
  state.attemptBlob = blob;
  state.attemptName = filename;
  setStatus("Scoring…");
  const f = new FormData();
  f.append("file", blob, filename);
  f.append("text", text);
  f.append("plot", "true");
  try {
    show(await api("/api/score", { method: "POST", body: f }));
    setStatus("Done. Press Record to try again.");
  } catch (e) {
    clearResult();
    setStatus(e.message, true);
  }
}

const LEVEL_TEXT = { good: "", fair: " (fair)", weak: " (said wrong)" };
const LEVEL_MARK = { good: "", fair: "~", weak: "!" }; // not by colour alone
const PHONE_PAD_S = 0.06; // a phone is 30-150 ms: a little context either side to hear it

function show(r) {
  state.result = r;
  $("result").hidden = false;
  $("score").textContent = Math.round(r.score);
  const band = $("band");
  band.textContent = r.band;
  band.className = "band " + r.band;
  $("verdict").textContent = r.sentence.charAt(0).toUpperCase() + r.sentence.slice(1) + ".";
  // the sentence's colour follows the sounds': green only for plain praise (nothing named,
  // no cause, no amber sound: "well said: every sound was clear"), dark amber when it asks
  // for amber sounds to be clearer, red when it names an error
  const allClear = r.words.every((w) => w.phones.every((p) => p.level === "good"));
  const nothingNamed = r.errors.length === 0 && !r.cause;
  $("verdict").classList.toggle("ok", nothingNamed && allClear);
  $("verdict").classList.toggle("fair", nothingNamed && !allClear);
  // the verdict's reading of the recogniser's check: a doubtful other word is "not sure"
  $("heard").textContent = r.heard || "–";
  const sent = $("sentence-scores");
  sent.hidden = r.words.length < 2;
  sent.textContent = `accuracy ${Math.round(r.accuracy)} · completeness ${Math.round(r.completeness)}` +
    (r.fluency === null ? "" : ` · fluency ${Math.round(r.fluency)}`);
  // The recording's own quality (noise, clipping, level, band): what limits the score
  // besides the pronunciation; its warnings are listed with the others below.
  const q = r.quality;
  $("quality").textContent = q.label;
  $("quality").className = "mid " + q.label;
  $("quality-detail").textContent = `${Math.round(q.score)}/100 · noise ${Math.round(q.snr_db)} dB ` +
    `below the voice · up to ${(q.bandwidth_hz / 1000).toFixed(1)} kHz`;
  const warn = $("warnings");
  warn.innerHTML = "";
  for (const w of r.warnings || []) {
    const li = document.createElement("li");
    li.textContent = w;
    warn.appendChild(li);
  }
  const errs = $("errors");
  errs.innerHTML = "";
  for (const e of r.errors) {
    const li = document.createElement("li");
    li.textContent = e.text + (e.tip ? `: ${e.tip}` : "");
    li.title = "play this part of your attempt";
    li.addEventListener("click", () => playSpan(state.attemptBlob, e.start_s, e.end_s, PHONE_PAD_S));
    errs.appendChild(li);
  }
  showWords(r);
  $("attempt-audio").src = URL.createObjectURL(state.attemptBlob);
  $("play-span").disabled = !r.span;
  const pic = $("picture");
  pic.hidden = !r.plot_png;
  if (r.plot_png) pic.src = r.plot_png;
  $("download-png").hidden = !r.plot_png;
  $("download-png").href = r.plot_png || "#";
}

// One block per word (its score and band) with a button per sound, coloured and marked by
// the verdict's level (red = named in the errors above); a button plays that sound.
function showWords(r) {
  const box = $("words");
  box.innerHTML = "";
  r.words.forEach((w) => {
    const div = document.createElement("div");
    div.className = "word-box" + (w.said ? "" : " unsaid");
    const head = document.createElement("div");
    head.className = "word-head";
    head.textContent = `${w.word} ${Math.round(w.score)} · ${w.band}` + (w.said ? "" : " · not heard");
    const strip = document.createElement("div");
    strip.className = "phone-strip";
    strip.setAttribute("role", "group");
    strip.setAttribute("aria-label", `the sounds of ${w.word}`);
    for (const p of w.phones) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `phone ${p.level}`;
      b.style.flexGrow = String(Math.max(0.04, p.end_s - p.start_s));
      const like = p.heard_ipa && p.level === "weak" ? `, sounded like /${p.heard_ipa}/` : "";
      b.setAttribute("aria-label", `/${p.ipa}/ score ${Math.round(p.score)} of 100${LEVEL_TEXT[p.level]}${like}`);
      b.title = `${Math.round(p.score)}/100${like}`;
      b.textContent = p.ipa + LEVEL_MARK[p.level];
      b.addEventListener("click", () => playSpan(state.attemptBlob, p.start_s, p.end_s, PHONE_PAD_S));
      strip.appendChild(b);
    }
    div.append(head, strip);
    box.appendChild(div);
  });
}

// ---- drawing helpers (the digits' picture) ---------------------------------------------

const SHADE = "rgba(214, 39, 40, 0.28)";


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

// Play [start, end) seconds of an audio file alone (the part to work on, a sound), with
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

// Boxes for spans [x0, x1) in [lo, hi] px, in order: each at least `minW` wide (a short
// digit is never a sliver) and apart by `gap`, nudged sideways from its span as little as
// the neighbours allow. When the row is too crowded for `minW`, the boxes share it evenly.
function layoutBoxes(spans, lo, hi, minW, gap = 2) {
  const n = spans.length;
  if (!n) return [];
  const room = hi - lo - gap * (n - 1);
  const wMin = Math.min(minW, room / n);
  let widths = spans.map(([x0, x1]) => Math.max(wMin, x1 - x0));
  const total = widths.reduce((a, w) => a + w, 0);
  if (total > room) { // long spans give up what the short ones took
    const extra = widths.reduce((a, w) => a + (w - wMin), 0);
    const keep = extra > 0 ? Math.max(0, (room - n * wMin) / extra) : 0;
    widths = widths.map((w) => wMin + (w - wMin) * keep);
  }
  const boxes = spans.map(([x0, x1], k) => {
    const c = (x0 + x1) / 2;
    return { x0: c - widths[k] / 2, x1: c + widths[k] / 2 };
  });
  const move = (b, x0) => { const w = b.x1 - b.x0; b.x0 = x0; b.x1 = x0 + w; };
  boxes.forEach((b, k) => move(b, Math.max(b.x0, k ? boxes[k - 1].x1 + gap : lo)));
  for (let k = n - 1; k >= 0; k--) {
    const limit = k < n - 1 ? boxes[k + 1].x0 - gap : hi;
    if (boxes[k].x1 > limit) move(boxes[k], limit - (boxes[k].x1 - boxes[k].x0));
  }
  return boxes;
}

// Text cut to fit `maxW` px with an ellipsis (a long file name on a phone).
function fitText(g, text, maxW) {
  if (g.measureText(text).width <= maxW) return text;
  let t = text;
  while (t.length > 1 && g.measureText(t + "…").width > maxW) t = t.slice(0, -1);
  return t + "…";
}

const SEQ_MIN_BOX_PX = 22; // room for a digit's label (bold 13 px) in the strip
// Neutral, not the red/amber that mean "said wrong"/"worth a listen" on the practice card:
// the strip only tells neighbouring digits apart, it judges nothing.
const SEQ_STRIP = ["#3d5a80", "#6c7a89"];

// The waveform (min/max per column) with each word's span shaded and its label on top
// (where it fits), and a strip under it: one box per word, where it lies in time, every
// label inside its box. What was drawn, in CSS px, is left in data-layout for tests.
function drawSequence(canvas, res) {
  const d = res.drawing;
  const { g, W, H } = blankCanvas(canvas, 190);
  if (!d || !d.columns) { canvas.dataset.drawn = "0"; return; }
  const narrow = W < 520; // a phone: no room to waste on margins
  const left = narrow ? 8 : 56, right = W - (narrow ? 8 : 12), stripH = 26;
  const pw = panel(g, left, 22, right - left, H - 22 - stripH - 40, 0, d.duration_s, -1, 1);
  g.font = "12px system-ui, sans-serif";
  title(g, pw, fitText(g, `${state.seqName || "your recording"}: ${res.sequence.join(" ") || "no digits"}`,
                       pw.w));
  const scale = 1 / Math.max(d.peak, 1e-4); // a quiet recording still fills the panel
  const labels = [];
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
    // Labels over the waveform on two rows; one that would touch a neighbour on both rows
    // is left out there (the strip below names every word).
    g.font = "bold 15px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "top";
    const lastEnd = [-Infinity, -Infinity];
    res.words.forEach((w) => {
      const c = (pw.px(w.start_s) + pw.px(w.end_s)) / 2, half = g.measureText(w.label).width / 2;
      const row = [0, 1].find((r) => c - half >= lastEnd[r] + 3);
      if (row === undefined || c - half < pw.x || c + half > pw.x + pw.w) return;
      lastEnd[row] = c + half;
      const y = pw.y + 3 + 18 * row;
      g.fillStyle = "#1d2430";
      g.fillText(w.label, c, y);
      labels.push({ text: w.label, x0: c - half, x1: c + half, y0: y, y1: y + 15 });
    });
  });
  pw.frame();
  // The strip: one box per word, alternating neutral colours so neighbours without a
  // pause part, each at least SEQ_MIN_BOX_PX wide.
  const sy = pw.y + pw.h + 6;
  const boxes = layoutBoxes(res.words.map((w) => [pw.px(w.start_s), pw.px(w.end_s)]),
                            pw.x, pw.x + pw.w, SEQ_MIN_BOX_PX);
  g.font = "bold 13px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
  res.words.forEach((w, k) => {
    const b = boxes[k], c = (b.x0 + b.x1) / 2, half = g.measureText(w.label).width / 2;
    g.fillStyle = SEQ_STRIP[k % 2];
    g.fillRect(b.x0, sy, b.x1 - b.x0, stripH);
    g.fillStyle = "#fff";
    g.fillText(w.label, c, sy + stripH / 2);
    labels.push({ text: w.label, x0: c - half, x1: c + half, y0: sy + 6, y1: sy + stripH - 6 });
  });
  const pt = panel(g, left, sy, right - left, stripH, 0, d.duration_s, 0, 1);
  ticks(g, pt, "x", narrow ? 3 : 6, "time (s)");
  canvas.dataset.layout = JSON.stringify({
    width: W, strip: boxes.map((b, k) => ({ label: res.words[k].label, x0: b.x0, x1: b.x1,
                                            y0: sy, y1: sy + stripH, colour: SEQ_STRIP[k % 2] })),
    labels });
  canvas.dataset.drawn = String(1 + Number(canvas.dataset.drawn || 0));
}

window.addEventListener("DOMContentLoaded", () => {
  loadWords();
  $("record").addEventListener("click", () => {
    if (state.rec) return stopRecording();
    // Ask for the text before recording, not after the learner has said it.
    if (!$("text").value.trim()) return askForText();
    return startRecording();
  });
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
  $("play-span").addEventListener("click", () => {
    const r = state.result;
    if (r && r.span) playSpan(state.attemptBlob, r.span[0], r.span[1]);
  });
  window.addEventListener("resize", () => {
    if (state.seqResult) drawSequence($("seq-picture"), state.seqResult);
  });
});
