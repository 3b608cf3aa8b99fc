/// <reference lib="dom" />
/**
 * The edge-digits page: picks a source (camera, drawing pad, dropped image), sends its frames to the host as
 * they come and the link has room, and draws every answer. `edgeDigits.stats()` in the console (or a test)
 * returns this tab's counters and latencies.
 */
import type { ServerMessage } from '../protocol.js';
import { HostLink, type SentFrame } from './host-link.js';
import { CameraSource, DrawingPad, FileSource, type PageSource } from './sources.js';
import { PageView, splitLatency, TabStats } from './view.js';

const view = new PageView();
const stats = new TabStats();
let active: PageSource | null = null;

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const pump = (): void => {
  while (active && link.canSend()) {
    const f = active.take();
    if (!f) return;
    const sent = link.sendFrame(f.image, active.name, f.capturedAt);
    if (sent) active.sent(sent.id);
  }
};

const link = new HostLink(
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  (m: ServerMessage, sent: SentFrame | null) => onMessage(m, sent),
  (state, detail) => view.showLink(state, detail),
  () => pump(),
);

function onMessage(m: ServerMessage, sent: SentFrame | null): void {
  switch (m.type) {
    case 'welcome':
      view.showModel(m.model.path);
      view.showBoard(m.board);
      pump();
      break;
    case 'board':
      view.showBoard(m.board);
      break;
    case 'result': {
      // Answers to an earlier source's frames (before a switch) are not this source's answers.
      if (!active || m.source !== active.name) break;
      active.showResult(m);
      view.showResult(m);
      if (sent) stats.add(splitLatency(m, sent, performance.now()));
      break;
    }
    case 'dropped':
      stats.dropped++;
      break;
    case 'error':
      stats.errors++;
      console.warn(`edge-digits host: ${m.code}: ${m.message}`);
      break;
    case 'pong':
      break;
  }
}

const sources: Record<string, PageSource> = {};
const camera = new CameraSource(el('video'), el('view'), el('overlay'), el('camera-note'), () => link.welcome, pump);
const pad = new DrawingPad(el('pad'), pump, () => link.reset());
const file = new FileSource(el('file-view'), el('drop-hint'), pump);
sources.camera = camera;
sources.pad = pad;
sources.file = file;

async function select(name: string): Promise<void> {
  const next = sources[name];
  if (!next || next === active) return;
  active?.deactivate();
  for (const n of Object.keys(sources)) {
    el(`source-${n}`).hidden = n !== name;
    el(`tab-${n}`).setAttribute('aria-selected', String(n === name));
  }
  active = next;
  link.reset();
  try {
    await next.activate();
  } catch (e) {
    if (name === 'camera') {
      el('camera-note').textContent = `No camera: ${(e as Error).message}. Use the drawing pad or drop an image.`;
      if (active === camera) await select('pad');
      return;
    }
    throw e;
  }
  pump();
}

for (const n of Object.keys(sources)) el(`tab-${n}`).addEventListener('click', () => void select(n));
el('pad-clear').addEventListener('click', () => pad.clear());

async function loadFile(f: File | undefined): Promise<void> {
  if (!f) return;
  await select('file');
  try {
    await file.load(f);
  } catch (e) {
    el('drop-hint').textContent = (e as Error).message;
  }
}
el<HTMLInputElement>('file-input').addEventListener('change', (e) => void loadFile((e.target as HTMLInputElement).files?.[0]));
const zone = el('drop-zone');
window.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
window.addEventListener('dragleave', () => zone.classList.remove('over'));
window.addEventListener('drop', (e) => {
  e.preventDefault();
  zone.classList.remove('over');
  void loadFile(e.dataTransfer?.files?.[0]);
});

setInterval(() => view.showStats(stats), 250);
// A safety net: a source with a frame waiting is offered again even if no event arrives to trigger it.
setInterval(pump, 100);

(window as unknown as { edgeDigits: unknown }).edgeDigits = {
  /** This tab's answered/dropped/error counts and its recent per-frame latencies (ms). */
  stats: () => ({ answered: stats.answered, dropped: stats.dropped, errors: stats.errors, recent: stats.recent.slice() }),
};

link.start();
const wanted = new URLSearchParams(location.search).get('source');
void select(wanted && wanted in sources ? wanted : 'camera');
