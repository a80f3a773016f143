// SPACE practice page: record (or upload) a word, send it as WAV, show what came back.
// Vanilla JS, no build step. The browser records at its own rate (often 48 kHz); the server
// resamples, so the page only packs the samples into a 16-bit WAV.
"use strict";

const MAX_RECORD_S = 4; // one word; the server refuses long uploads anyway
const $ = (id) => document.getElementById(id);

const state = {
  words: [],          // from /api/words
  defaultModel: null,
  attemptBlob: null,  // the last attempt (WAV or the uploaded file)
  result: null,       // the last /api/score answer
  rec: null,          // the recording in progress
  ctx: null,          // AudioContext for playing segments
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

async function startRecording() {
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
  const timer = setTimeout(stopRecording, MAX_RECORD_S * 1000);
  state.rec = { ctx, stream, node, chunks, timer, sr: ctx.sampleRate };
  const b = $("record");
  b.textContent = "■ Stop";
  b.classList.add("on");
  setStatus(`Recording at ${ctx.sampleRate} Hz… say the word, then press Stop.`);
}

async function stopRecording() {
  const rec = state.rec;
  if (!rec) return;
  state.rec = null;
  clearTimeout(rec.timer);
  rec.stream.getTracks().forEach((t) => t.stop());
  rec.node.port.onmessage = null;
  await rec.ctx.close();
  const b = $("record");
  b.textContent = "● Record";
  b.classList.remove("on");
  const n = rec.chunks.reduce((a, c) => a + c.length, 0);
  const y = new Float32Array(n);
  let off = 0;
  for (const c of rec.chunks) { y.set(c, off); off += c.length; }
  if (n === 0) { setStatus("Nothing was recorded.", true); return; }
  await submit(encodeWav(y, rec.sr), "recording.wav");
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

async function submit(blob, filename) {
  const word = $("word").value;
  const info = state.words.find((w) => w.word === word) || {};
  state.attemptBlob = blob;
  setStatus("Scoring…");
  const fd = () => { const f = new FormData(); f.append("file", blob, filename); return f; };
  const scoreForm = fd();
  scoreForm.append("word", word);
  scoreForm.append("plot", "true");
  const predictForm = fd();
  predictForm.append("model", info.model || state.defaultModel);
  try {
    const [score, heard] = await Promise.all([
      api("/api/score", { method: "POST", body: scoreForm }),
      api("/api/predict", { method: "POST", body: predictForm }),
    ]);
    show(score, heard, word, info);
    setStatus("Done. Press Record to try again.");
  } catch (e) {
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
      `vs ${s.reference_start_s.toFixed(2)}–${s.reference_end_s.toFixed(2)} s of the reference`;
    segs.appendChild(li);
  }
  const hasSeg = score.segments.length > 0;
  $("play-attempt-worst").disabled = !hasSeg;
  $("play-ref-worst").disabled = !hasSeg;
  $("picture").src = score.plot_png || "";
}

// Play [start, end) seconds of an audio file alone (the worst segment).
async function playSpan(blobOrUrl, start, end) {
  const data = typeof blobOrUrl === "string"
    ? await (await fetch(blobOrUrl)).arrayBuffer() : await blobOrUrl.arrayBuffer();
  state.ctx = state.ctx || new AudioContext();
  const buf = await state.ctx.decodeAudioData(data);
  const src = state.ctx.createBufferSource();
  src.buffer = buf;
  src.connect(state.ctx.destination);
  const pad = 0.05; // a little context either side makes a short span audible
  const a = Math.max(0, start - pad);
  src.start(0, a, Math.min(buf.duration - a, end - start + 2 * pad));
}

function worst() { return state.result && state.result.segments[0]; }

window.addEventListener("DOMContentLoaded", () => {
  loadWords();
  $("record").addEventListener("click", () => (state.rec ? stopRecording() : startRecording()));
  $("file").addEventListener("change", (e) => {
    const f = e.target.files[0];
    if (f) submit(f, f.name);
    e.target.value = "";
  });
  $("play-attempt-worst").addEventListener("click", () => {
    const s = worst();
    if (s) playSpan(state.attemptBlob, s.attempt_start_s, s.attempt_end_s);
  });
  $("play-ref-worst").addEventListener("click", () => {
    const s = worst();
    if (s) playSpan(state.result.reference_urls[state.result.best_reference],
                    s.reference_start_s, s.reference_end_s);
  });
});
