/// <reference lib="dom" />
/**
 * The page's three sources. Each says when it has a new frame (`notify`) and hands it over when the host link
 * has room (`take`): the camera its newest video frame, the pad its drawing (throttled while a stroke goes on,
 * at once when it ends), a dropped file its picture once.
 */
import type { FrameSourceName, ResultMessage, WelcomeMessage } from '../protocol.js';
import { GrayGrabber, transportSize, type GrayImage } from './pixels.js';

export interface TakenFrame {
  readonly image: GrayImage;
  readonly capturedAt: number;
}

export interface PageSource {
  readonly name: FrameSourceName;
  activate(): Promise<void>;
  deactivate(): void;
  take(): TakenFrame | null;
  /** The host's answer to one of this source's frames (geometry for the overlay). */
  showResult(r: ResultMessage): void;
  /** The frame just sent (for the pad's test hooks: data-last-frame). */
  sent(id: number): void;
}

/** Shorter side of a camera frame as sent: the centre square ROI then holds 240×240 pixels, above the host's 128. */
const CAMERA_SHORT_SIDE = 240;
const FILE_SHORT_SIDE = 480;

type Rect = { x: number; y: number; width: number; height: number };

function roiOf(welcome: WelcomeMessage | null, width: number, height: number): Rect {
  const roi = welcome?.roi ?? { whole: true };
  if ('whole' in roi) return { x: 0, y: 0, width, height };
  if ('fraction' in roi) {
    const side = Math.round(Math.min(width, height) * roi.fraction);
    return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), width: side, height: side };
  }
  return roi;
}

/** ROI (blue) and the digit's box (green, or orange when it was refused) over a picture, scaled from frame pixels. */
function drawOverlay(canvas: HTMLCanvasElement, frame: { width: number; height: number }, roi: Rect, bbox: Rect | null, found: boolean): void {
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, w, h);
  const sx = w / frame.width;
  const sy = h / frame.height;
  ctx.lineWidth = 2;
  ctx.strokeStyle = 'rgba(37, 99, 235, 0.95)';
  ctx.setLineDash([8, 6]);
  ctx.strokeRect(roi.x * sx, roi.y * sy, roi.width * sx, roi.height * sy);
  ctx.setLineDash([]);
  if (bbox) {
    ctx.strokeStyle = found ? 'rgba(22, 163, 74, 0.95)' : 'rgba(217, 119, 6, 0.95)';
    ctx.strokeRect(bbox.x * sx, bbox.y * sy, bbox.width * sx, bbox.height * sy);
  }
}

export class CameraSource implements PageSource {
  readonly name = 'camera' as const;
  private stream: MediaStream | null = null;
  private readonly grabber = new GrayGrabber();
  private fresh = false;
  private capturedAt = 0;
  private active = false;

  constructor(
    private readonly video: HTMLVideoElement,
    /** Shows each frame as it is sent, so the boxes drawn over it belong to the picture under them. */
    private readonly view: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly note: HTMLElement,
    private readonly welcome: () => WelcomeMessage | null,
    private readonly notify: () => void,
  ) {}

  async activate(): Promise<void> {
    this.active = true;
    if (!this.stream) {
      if (!navigator.mediaDevices?.getUserMedia) {
        throw new Error(window.isSecureContext ? 'this browser has no camera API' : 'the camera needs a secure page: open it as http://localhost or http://127.0.0.1 (or over https)');
      }
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      this.video.srcObject = this.stream;
      await this.video.play();
      const track = this.stream.getVideoTracks()[0];
      this.note.textContent = `${track?.label || 'camera'} · ${this.video.videoWidth}×${this.video.videoHeight}. Hold a digit written on paper inside the square.`;
    }
    this.watchFrames();
    this.drawRoiOnly();
  }

  deactivate(): void {
    this.active = false;
    this.fresh = false;
  }

  /** Every new camera frame: note when it was captured, and offer it. */
  private watchFrames(): void {
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: (now: number, meta: { captureTime?: number }) => void) => number };
    if (v.requestVideoFrameCallback) {
      const onFrame = (now: number, meta: { captureTime?: number }): void => {
        if (!this.active) return;
        this.fresh = true;
        this.capturedAt = meta.captureTime ?? now;
        this.notify();
        v.requestVideoFrameCallback?.(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    } else {
      const tick = (): void => {
        if (!this.active) return;
        this.fresh = true;
        this.capturedAt = performance.now();
        this.notify();
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
  }

  take(): TakenFrame | null {
    if (!this.active || !this.fresh || this.video.videoWidth === 0) return null;
    this.fresh = false;
    const size = transportSize(this.video.videoWidth, this.video.videoHeight, CAMERA_SHORT_SIDE);
    const w = this.view.clientWidth;
    const h = this.view.clientHeight;
    if (w > 0 && h > 0) {
      if (this.view.width !== w || this.view.height !== h) {
        this.view.width = w;
        this.view.height = h;
      }
      this.view.getContext('2d')?.drawImage(this.video, 0, 0, w, h);
    }
    return { image: this.grabber.grab(this.video, size.width, size.height), capturedAt: this.capturedAt };
  }

  private drawRoiOnly(): void {
    const w = this.video.videoWidth || 640;
    const h = this.video.videoHeight || 480;
    drawOverlay(this.overlay, { width: w, height: h }, roiOf(this.welcome(), w, h), null, false);
  }

  showResult(r: ResultMessage): void {
    drawOverlay(this.overlay, r.geometry.frame, r.geometry.roi, r.geometry.bbox, r.no_digit === null);
  }

  sent(): void {}
}

/** Stroke width as a fraction of the pad side: a digit drawn across ~70 % of the pad gets MNIST-like strokes. */
const PEN_FRACTION = 1 / 14;
/** While a stroke goes on, a frame at most this often; when it ends, one at once. */
const PAD_FRAME_EVERY_MS = 100;

export class DrawingPad implements PageSource {
  readonly name = 'pad' as const;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly grabber = new GrayGrabber();
  private drawing = false;
  private dirty = false;
  private last: { x: number; y: number } | null = null;
  private lastTaken = 0;
  private active = false;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly notify: () => void, private readonly onClear: () => void) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
    this.clear(false);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  async activate(): Promise<void> {
    this.active = true;
  }

  deactivate(): void {
    this.active = false;
  }

  clear(announce = true): void {
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.dirty = false;
    this.setDirtyAttr();
    if (announce) this.onClear();
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private penWidth(e: PointerEvent): number {
    const base = this.canvas.width * PEN_FRACTION;
    // A pen's pressure shapes the stroke a little; mouse and touch report 0.5 while pressed.
    return e.pointerType === 'pen' && e.pressure > 0 ? base * (0.6 + 0.8 * e.pressure) : base;
  }

  private down(e: PointerEvent): void {
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.drawing = true;
    this.last = this.point(e);
    this.stroke(this.last, this.last, this.penWidth(e));
  }

  private move(e: PointerEvent): void {
    if (!this.drawing || !this.last) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [e];
    for (const ce of events.length ? events : [e]) {
      const p = this.point(ce);
      this.stroke(this.last, p, this.penWidth(ce));
      this.last = p;
    }
  }

  private up(e: PointerEvent): void {
    if (!this.drawing) return;
    this.move(e);
    this.drawing = false;
    this.last = null;
    this.lastTaken = 0;
    // The finished drawing always goes to the host, whatever the throttle sent during the stroke.
    this.dirty = true;
    this.setDirtyAttr();
    this.notify();
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }, width: number): void {
    const c = this.ctx;
    c.strokeStyle = '#000';
    c.lineWidth = width;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
    this.dirty = true;
    this.setDirtyAttr();
    this.notify();
  }

  private setDirtyAttr(): void {
    this.canvas.dataset.dirty = String(this.dirty || this.drawing);
  }

  take(): TakenFrame | null {
    if (!this.active || !this.dirty) return null;
    const now = performance.now();
    if (this.drawing && now - this.lastTaken < PAD_FRAME_EVERY_MS) {
      setTimeout(this.notify, PAD_FRAME_EVERY_MS - (now - this.lastTaken));
      return null;
    }
    this.lastTaken = now;
    this.dirty = false;
    const frame = { image: this.grabber.grab(this.canvas, this.canvas.width, this.canvas.height), capturedAt: now };
    this.setDirtyAttr();
    return frame;
  }

  showResult(): void {}

  sent(id: number): void {
    this.canvas.dataset.lastFrame = String(id);
  }
}

export class FileSource implements PageSource {
  readonly name = 'file' as const;
  private readonly grabber = new GrayGrabber();
  private pending: TakenFrame | null = null;
  private size = { width: 0, height: 0 };

  constructor(private readonly view: HTMLCanvasElement, private readonly hint: HTMLElement, private readonly notify: () => void) {}

  async activate(): Promise<void> {}

  deactivate(): void {}

  async load(file: File): Promise<void> {
    if (!file.type.startsWith('image/')) throw new Error(`${file.name}: not an image (${file.type || 'unknown type'})`);
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name}: this browser cannot decode it`);
    }
    const size = transportSize(bitmap.width, bitmap.height, FILE_SHORT_SIDE);
    this.size = size;
    this.view.width = size.width;
    this.view.height = size.height;
    this.view.getContext('2d')?.drawImage(bitmap, 0, 0, size.width, size.height);
    this.hint.textContent = `${file.name} · ${bitmap.width}×${bitmap.height}. Drop another image to replace it.`;
    this.pending = { image: this.grabber.grab(bitmap, size.width, size.height), capturedAt: performance.now() };
    bitmap.close();
    this.notify();
  }

  take(): TakenFrame | null {
    const f = this.pending;
    this.pending = null;
    return f;
  }

  showResult(r: ResultMessage): void {
    const ctx = this.view.getContext('2d');
    if (!ctx || !this.size.width) return;
    const s = this.size.width / r.geometry.frame.width;
    ctx.lineWidth = 2;
    ctx.strokeStyle = 'rgba(37, 99, 235, 0.95)';
    const roi = r.geometry.roi;
    ctx.strokeRect(roi.x * s, roi.y * s, roi.width * s, roi.height * s);
    const b = r.geometry.bbox;
    if (b) {
      ctx.strokeStyle = r.no_digit === null ? 'rgba(22, 163, 74, 0.95)' : 'rgba(217, 119, 6, 0.95)';
      ctx.strokeRect(b.x * s, b.y * s, b.width * s, b.height * s);
    }
  }

  sent(): void {}
}
