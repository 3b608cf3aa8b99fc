const SHADES = [' ', '░', '▒', '▓', '█'];

function shade(v: number): string {
  return SHADES[Math.min(SHADES.length - 1, Math.round((v / 255) * (SHADES.length - 1)))];
}

/**
 * Compact terminal picture of a gray image (255 = ink): one character per 2 stacked pixels, so a 28×28 digit
 * takes 28 columns × 14 lines and looks square. Half blocks (▀ ▄) where the two pixels differ, shades (░▒▓█) of
 * their mean where they agree.
 */
export function renderAscii(pixels: Uint8Array, width = 28): string {
  if (!Number.isInteger(width) || width <= 0 || pixels.length % width !== 0) {
    throw new TypeError(`renderAscii: ${pixels.length} pixels do not make rows of width ${width}`);
  }
  const height = pixels.length / width;
  const lines: string[] = [];
  for (let y = 0; y < height; y += 2) {
    let line = '';
    for (let x = 0; x < width; x++) {
      const top = pixels[y * width + x];
      const bottom = y + 1 < height ? pixels[(y + 1) * width + x] : 0;
      const topOn = top >= 128;
      const bottomOn = bottom >= 128;
      if (topOn !== bottomOn && Math.abs(top - bottom) >= 96) line += topOn ? '▀' : '▄';
      else line += shade((top + bottom) / 2);
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}
