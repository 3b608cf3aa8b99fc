import path from 'node:path';
import { FIRMWARE_GEN_DIR } from '../engine-files.js';

/** The board side of the protocol: one source for the virtual board, the QEMU board and the Arduino library. */
export const PROTOCOL_DIR = path.join(FIRMWARE_GEN_DIR, 'protocol');
export const PROTOCOL_FILES = ['ed_protocol_ids.h', 'ed_codec.h', 'ed_codec.c', 'ed_board.h', 'ed_board.c'] as const;
