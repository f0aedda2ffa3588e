// The browser's part of media questions, loaded the first time a form with one is opened
// (boot.js's __dalaMedia), so that a tablet whose forms have none never downloads it: the
// question's control (buttons, preview, drawing pad, recorder) drawn into the element the
// app gives, a photo decoded and drawn smaller, a drawing, a recording. What a file is
// called, how big a photo may be, and how it is stored and answered are decided in Rust
// (crates/dala-web/src/media.rs, media_browser.rs, views/media.rs); this file only does what
// the browser does and reports files back through `onFile`.

// A picked or captured photo as a decoded bitmap (its EXIF orientation applied).
export function decode(file) {
  return createImageBitmap(file, { imageOrientation: 'from-image' });
}

// The bitmap drawn at width x height, encoded as `type` (a JPEG at `quality`).
export async function encode(bitmap, width, height, type, quality) {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return canvas.convertToBlob({ type, quality });
}

// The code a photo shows (a barcode, a QR code), read with the browser's BarcodeDetector
// (Chromium on Android, ChromeOS and macOS has it; the app offers this only where it
// exists): the first code's text, or '' when none is found.
export async function readCode(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const codes = await new BarcodeDetector().detect(bitmap);
    return codes.length > 0 ? codes[0].rawValue : '';
  } finally {
    bitmap.close();
  }
}

// A canvas drawn on with a finger, a pen or a mouse (pointer events; the page does not
// scroll under the stroke: the canvas has touch-action: none). `background` (an image
// bitmap, for an annotation) is drawn first. Returns what the question needs: whether
// anything was drawn, a clear, and the drawing as a PNG.
export function drawOn(canvas, background) {
  const context = canvas.getContext('2d');
  let drawn = false;
  const paper = () => {
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (background) {
      const scale = Math.min(canvas.width / background.width, canvas.height / background.height);
      const w = background.width * scale, h = background.height * scale;
      context.drawImage(background, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    }
    drawn = false;
  };
  paper();
  context.lineWidth = 3;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.strokeStyle = '#111111';
  let last = null;
  const at = (e) => {
    const box = canvas.getBoundingClientRect();
    return [(e.clientX - box.left) * canvas.width / box.width, (e.clientY - box.top) * canvas.height / box.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    context.beginPath();
    context.arc(last[0], last[1], context.lineWidth / 2, 0, 2 * Math.PI);
    context.fillStyle = context.strokeStyle;
    context.fill();
    drawn = true;
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const next = at(e);
    context.beginPath();
    context.moveTo(last[0], last[1]);
    context.lineTo(next[0], next[1]);
    context.stroke();
    last = next;
  });
  const end = () => { last = null; };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return {
    drawn: () => drawn,
    clear: paper,
    png: () => new Promise((resolve) => canvas.toBlob(resolve, 'image/png')),
  };
}

// A recording from the device's microphone (and camera, for `video`) with MediaRecorder:
// resolves, once recording has started, to a handle whose stop() gives the recording as a
// Blob. `bitsPerSecond` follows the question's quality.
export async function record(video, bitsPerSecond) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  const options = bitsPerSecond ? { audioBitsPerSecond: bitsPerSecond } : {};
  const recorder = new MediaRecorder(stream, options);
  const chunks = [];
  recorder.addEventListener('dataavailable', (e) => { if (e.data.size > 0) chunks.push(e.data); });
  const stopped = new Promise((resolve) => recorder.addEventListener('stop', () => {
    stream.getTracks().forEach((t) => t.stop());
    resolve(new Blob(chunks, { type: recorder.mimeType }));
  }));
  recorder.start(1000);
  return { stop: () => { recorder.stop(); return stopped; } };
}

function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// A label styled as a button that opens the camera, the recorder or the file picker.
function fileButton(accept, capture, onPick) {
  const label = element('label', 'button');
  const input = element('input', 'visually-hidden');
  input.type = 'file';
  if (accept) input.accept = accept;
  if (capture) input.setAttribute('capture', capture);
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (file) onPick(file);
  });
  const text = element('span');
  label.append(input, text);
  return { label, input, text };
}

// Draws a media question's control into `root`. `config`: accept, capture (or null), pick,
// drawing (null, 'signature', 'draw', 'annotate'), recordBits (or null). `onFile(blob, name)`
// gives the app a file taken, drawn or recorded; `onRemove()` clears the answer;
// `onProblem(words)` says why something could not be done. Returns the handle the app
// drives: show(state) with {name, url, kind, caption, missing} or null, words(w), busy(b),
// disabled(d).
export function mount(root, config, onFile, onRemove, onProblem) {
  let words = {};
  let state = null;
  let disabled = false;
  let busy = false;
  const figure = element('figure', 'media-file');
  figure.hidden = true;
  const missing = element('p', 'hint');
  const caption = element('figcaption');
  const row = element('span', 'row');
  const status = element('p', 'hint');
  status.setAttribute('role', 'status');
  status.hidden = true;
  const buttons = [];
  const drawn = config.drawing ? drawingPad(config.drawing, onFile, () => words, onProblem) : null;
  let recorder = null;
  if (config.recordBits) {
    const button = element('button', 'button record');
    button.type = 'button';
    const live = element('span', 'hint recording');
    live.hidden = true;
    button.addEventListener('click', async () => {
      if (recorder) {
        const stopping = recorder;
        recorder = null;
        live.hidden = true;
        button.classList.remove('primary');
        button.textContent = words.record;
        onFile(await stopping.stop(), '');
        return;
      }
      try {
        recorder = await record(false, config.recordBits);
        live.hidden = false;
        button.classList.add('primary');
        button.textContent = words.stop;
      } catch (e) {
        onProblem(String(e && e.message || e));
      }
    });
    row.append(button, live);
    buttons.push(() => { button.disabled = disabled || busy; if (!recorder) button.textContent = words.record; live.textContent = words.recording; });
  }
  // The recorder in the page stands for the device's own (asked for with quality=external).
  if (config.capture && !config.drawing && !config.recordBits) {
    const b = fileButton(config.accept, config.capture, (file) => onFile(file, file.name));
    row.append(b.label);
    buttons.push(() => { b.input.disabled = disabled || busy; b.label.classList.toggle('disabled', disabled || busy); b.text.textContent = words.capture; });
  }
  if (config.pick && !config.drawing) {
    const b = fileButton(config.accept, null, (file) => onFile(file, file.name));
    row.append(b.label);
    buttons.push(() => { b.input.disabled = disabled || busy; b.label.classList.toggle('disabled', disabled || busy); b.text.textContent = state ? words.replace : words.choose; });
  }
  const remove = element('button', 'button remove');
  remove.type = 'button';
  remove.addEventListener('click', () => onRemove());
  row.append(remove);
  buttons.push(() => { remove.hidden = !state; remove.disabled = disabled || busy; remove.textContent = words.remove; });
  root.append(figure, ...(drawn ? [drawn.root] : []), row, status);
  const redraw = () => {
    figure.replaceChildren();
    figure.hidden = !state;
    if (state) {
      if (state.url && state.kind === 'image') {
        const img = element('img', 'media-preview');
        img.src = state.url;
        img.alt = state.name;
        figure.append(img);
      } else if (state.url && (state.kind === 'audio' || state.kind === 'video')) {
        const player = element(state.kind, state.kind === 'video' ? 'media-preview' : '');
        player.controls = true;
        player.src = state.url;
        figure.append(player);
      }
      caption.textContent = state.caption;
      figure.append(caption);
      if (state.missing) {
        missing.textContent = words.missing;
        figure.append(missing);
      }
    }
    status.textContent = words.preparing;
    status.hidden = !busy;
    buttons.forEach((b) => b());
    if (drawn) drawn.refresh(!!state, disabled || busy);
    // A record open for reading (finalized, or in Analyse) shows its file, no way to change it.
    row.hidden = disabled;
    if (drawn) drawn.root.hidden = disabled;
  };
  return {
    show(next) { state = next; redraw(); },
    words(next) { words = next; redraw(); },
    busy(next) { busy = next; redraw(); },
    disabled(next) { disabled = next; redraw(); },
  };
}

// The pad of a signature, a drawing or an annotation: shown until a drawing is kept, then
// behind "Draw again".
function drawingPad(kind, onFile, words, onProblem) {
  const root = element('div', 'drawing');
  const canvas = element('canvas', kind === 'signature' ? 'draw-pad signature' : 'draw-pad');
  canvas.width = 900;
  canvas.height = kind === 'signature' ? 300 : 600;
  const nothing = element('p', 'hint');
  nothing.setAttribute('role', 'status');
  nothing.hidden = true;
  const row = element('span', 'row');
  const clear = element('button', 'button clear-drawing');
  const keep = element('button', 'button primary keep-drawing');
  const again = element('button', 'button draw-again');
  [clear, keep, again].forEach((b) => { b.type = 'button'; });
  let pad = kind === 'annotate' ? null : drawOn(canvas, null);
  let open = true;
  let picker = null;
  if (kind === 'annotate') {
    picker = fileButton('image/*', null, async (file) => {
      try {
        pad = drawOn(canvas, await decode(file));
      } catch (e) {
        onProblem(String(e && e.message || e));
      }
    });
    root.append(picker.label);
  }
  clear.addEventListener('click', () => { if (pad) pad.clear(); });
  keep.addEventListener('click', async () => {
    if (!pad || !pad.drawn()) { nothing.hidden = false; return; }
    nothing.hidden = true;
    open = false;
    onFile(await pad.png(), '');
  });
  again.addEventListener('click', () => {
    open = true;
    if (pad) pad.clear();
    root.dispatchEvent(new Event('redraw'));
  });
  row.append(clear, keep);
  root.append(canvas, nothing, row, again);
  let last = [false, false];
  const refresh = (hasFile, disabled) => {
    last = [hasFile, disabled];
    const showPad = open || !hasFile;
    canvas.hidden = !showPad;
    row.hidden = !showPad;
    if (picker) picker.label.hidden = !showPad;
    again.hidden = showPad;
    const w = words();
    clear.textContent = w.clear;
    keep.textContent = kind === 'signature' ? w.keepSignature : w.keepDrawing;
    again.textContent = w.drawAgain;
    nothing.textContent = w.nothingDrawn;
    if (picker) picker.text.textContent = w.choosePicture;
    [clear, keep, again].forEach((b) => { b.disabled = disabled; });
  };
  root.addEventListener('redraw', () => refresh(...last));
  return { root, refresh };
}
