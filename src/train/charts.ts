import sharp from 'sharp';
import type { EpochRecord } from './train.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Series { readonly name: string; readonly color: string; readonly values: readonly number[] }

function linePanel(x0: number, title: string, series: readonly Series[], yMin: number, yMax: number, fmt: (v: number) => string): string {
  const w = 380, h = 260, left = 56, top = 30, pw = w - left - 16, ph = h - top - 40;
  const n = Math.max(...series.map((s) => s.values.length));
  const px = (i: number): number => x0 + left + (n <= 1 ? pw / 2 : (i / (n - 1)) * pw);
  const py = (v: number): number => top + ph - ((Math.min(Math.max(v, yMin), yMax) - yMin) / (yMax - yMin || 1)) * ph;
  let svg = `<text x="${x0 + w / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  svg += `<rect x="${x0 + left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`;
  for (let k = 0; k <= 4; k++) {
    const v = yMin + ((yMax - yMin) * k) / 4;
    svg += `<line x1="${x0 + left}" x2="${x0 + left + pw}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`;
    svg += `<text x="${x0 + left - 4}" y="${py(v) + 4}" text-anchor="end" font-size="10">${esc(fmt(v))}</text>`;
  }
  for (let i = 0; i < n; i++) svg += `<text x="${px(i)}" y="${top + ph + 14}" text-anchor="middle" font-size="10">${i + 1}</text>`;
  svg += `<text x="${x0 + left + pw / 2}" y="${top + ph + 30}" text-anchor="middle" font-size="11">epoch</text>`;
  series.forEach((s, si) => {
    const pts = s.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    svg += `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    svg += s.values.map((v, i) => `<circle cx="${px(i)}" cy="${py(v)}" r="2.5" fill="${s.color}"/>`).join('');
    svg += `<text x="${x0 + left + 8}" y="${top + 14 + si * 14}" font-size="11" fill="${s.color}">${esc(s.name)}</text>`;
  });
  return svg;
}

/** Loss and accuracy per epoch, side by side. */
export function trainingChartSvg(history: readonly EpochRecord[]): string {
  const loss = history.map((h) => h.loss);
  const acc = [...history.map((h) => h.trainAccuracy), ...history.map((h) => h.testAccuracy)];
  const accMin = Math.max(0, Math.floor(Math.min(...acc) * 100 - 0.5) / 100);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="260" font-family="sans-serif"><rect width="760" height="260" fill="white"/>`
    + linePanel(0, 'training loss', [{ name: 'train loss', color: '#d62728', values: loss }], 0, Math.max(...loss) * 1.05, (v) => v.toFixed(3))
    + linePanel(380, 'accuracy', [
      { name: 'train (augmented)', color: '#1f77b4', values: history.map((h) => h.trainAccuracy) },
      { name: 'test', color: '#2ca02c', values: history.map((h) => h.testAccuracy) },
    ], accMin, 1, (v) => `${(v * 100).toFixed(1)}%`)
    + '</svg>';
}

/** A 10×10 confusion matrix heat map with counts. */
export function confusionChartSvg(confusion: readonly (readonly number[])[], title: string): string {
  const cell = 40, left = 60, top = 50, size = left + cell * 10 + 20;
  const max = Math.max(...confusion.flatMap((r, i) => r.filter((_, j) => j !== i)), 1);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 30}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>`;
  svg += `<text x="${size / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  svg += `<text x="${left + cell * 5}" y="${top - 8}" text-anchor="middle" font-size="11">predicted</text>`;
  svg += `<text x="14" y="${top + cell * 5}" font-size="11" transform="rotate(-90 14 ${top + cell * 5})" text-anchor="middle">true</text>`;
  for (let i = 0; i < 10; i++) {
    svg += `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${i}</text>`;
    svg += `<text x="${left + i * cell + cell / 2}" y="${top + cell * 10 + 16}" text-anchor="middle" font-size="12">${i}</text>`;
    for (let j = 0; j < 10; j++) {
      const v = confusion[i][j];
      const fill = i === j ? '#c7e9c0' : v === 0 ? '#ffffff' : `rgb(255,${Math.round(230 - 180 * Math.min(1, v / max))},${Math.round(230 - 180 * Math.min(1, v / max))})`;
      svg += `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`;
      svg += `<text x="${left + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="${i === j ? 10 : 12}">${v}</text>`;
    }
  }
  return svg + '</svg>';
}

export async function writeSvgAsPng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
