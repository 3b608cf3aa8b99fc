import { DigitBoard, startQemuBoard, startVirtualBoard, type DigitBoardOptions } from '../../device/index.js';
import type { DigitClassifier } from './recognize.js';

export interface BoardClassifierOptions {
  readonly model: string;
  /** A real board's serial port; without it a virtual board (or QEMU with `qemu`) is started from `model`. */
  readonly port?: string;
  readonly qemu: boolean;
  readonly log: (s: string) => void;
  /** --baud / --timeout / --reconnect-timeout. */
  readonly link?: DigitBoardOptions;
}

/** A board as a DigitClassifier: a real one at `port`, else the virtual board or the emulated Cortex-M4. */
export async function openBoardClassifier(o: BoardClassifierOptions): Promise<DigitClassifier> {
  let stop: () => Promise<void> = async () => {};
  let port = o.port;
  let name = 'board';
  if (!port && o.qemu) {
    const q = await startQemuBoard({ artifact: o.model, log: o.log });
    port = q.port;
    stop = () => q.close();
    name = 'qemu';
    o.log(`emulated Cortex-M4 (QEMU mps2-an386) on ${port}`);
  } else if (!port) {
    const v = await startVirtualBoard({ artifact: o.model });
    port = v.path;
    stop = () => v.close();
    name = 'virtual board';
    o.log(`virtual board (generated firmware on a pty) on ${port}`);
  }
  let board: DigitBoard;
  try {
    board = await DigitBoard.connect(port, o.link ?? {});
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    name,
    classify: async (pixels) => {
      const r = await board.classify(pixels);
      return { digit: r.digit, logits: r.logits, deviceMicros: r.deviceMicros };
    },
    close: async () => {
      await board.close();
      await stop();
    },
  };
}
