// The waveform of the last speech, drawn once its audio is complete, with a playhead.

let peaks = null;

async function samplesOf(blob, format) {
  const data = await blob.arrayBuffer();
  if (format === "pcm") {
    const ints = new Int16Array(data.slice(0, data.byteLength - (data.byteLength % 2)));
    return Float32Array.from(ints, (value) => value / 32768);
  }
  const context = new OfflineAudioContext(1, 1, 24000);
  const decoded = await context.decodeAudioData(data);
  return decoded.getChannelData(0);
}

function peaksOf(samples, columns) {
  const result = new Float32Array(columns);
  const size = Math.max(1, Math.floor(samples.length / columns));
  for (let column = 0; column < columns; column += 1) {
    let peak = 0;
    const end = Math.min(samples.length, (column + 1) * size);
    for (let i = column * size; i < end; i += 1) peak = Math.max(peak, Math.abs(samples[i]));
    result[column] = peak;
  }
  return result;
}

export function drawWaveform(canvas, position = 0) {
  const context = canvas.getContext("2d");
  const style = getComputedStyle(document.documentElement);
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (!peaks) return;
  const middle = canvas.height / 2;
  const played = Math.floor(position * peaks.length);
  for (let x = 0; x < peaks.length; x += 1) {
    context.fillStyle = x < played ? style.getPropertyValue("--accent") : style.getPropertyValue("--muted");
    const height = Math.max(1, peaks[x] * middle);
    context.fillRect(x, middle - height, 1, 2 * height);
  }
}

export async function showWaveform(canvas, blob, format) {
  try {
    peaks = peaksOf(await samplesOf(blob, format), canvas.width);
  } catch {
    peaks = null; // a format this browser cannot decode: no picture, the audio still plays
  }
  drawWaveform(canvas);
}

export function clearWaveform(canvas) {
  peaks = null;
  drawWaveform(canvas);
}
