/** The one ID list (firmware-gen/protocol/ids.ts) and the C header generated from it. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDS_HEADER_PATH, renderIdsHeader } from '../firmware-gen/protocol/generate-ids.js';
import {
  EdSysex,
  ErrorReason,
  FirmataSysex,
  Layout,
  packedLength,
  protocolConstantGroups,
} from '../src/device/protocol/index.js';

function allMacros(): Array<[string, number]> {
  return protocolConstantGroups.flatMap((g) => Object.entries(g.members).map(([name, spec]): [string, number] => [g.cPrefix + name, spec.value]));
}

describe('protocol IDs', () => {
  it('the committed C header equals the one generated from ids.ts', () => {
    expect(readFileSync(IDS_HEADER_PATH, 'utf8'), 'ed_protocol_ids.h is stale: run npx tsx firmware-gen/protocol/generate-ids.ts').toBe(renderIdsHeader());
  });

  it('puts the edge-digits sysex IDs in the Firmata user range, clear of the core IDs', () => {
    const ours = Object.values(EdSysex);
    expect(new Set(ours).size).toBe(ours.length);
    for (const id of ours) expect(id >= 0x01 && id <= 0x0f, `0x${id.toString(16)}`).toBe(true);
    for (const id of Object.values(FirmataSysex)) expect(ours).not.toContain(id);
  });

  it('keeps codes unique within each group and reason codes non-zero', () => {
    for (const g of protocolConstantGroups) {
      if (g.cPrefix === 'ED_') continue; // sizes may coincide
      const values = Object.values(g.members).map((s) => s.value);
      expect(new Set(values).size, g.title).toBe(values.length);
    }
    expect(Object.values(ErrorReason)).not.toContain(0);
  });

  it('derives the message sizes from the framing rule', () => {
    expect(Layout.CLASSIFY_REQUEST_BODY_LEN).toBe(2 + 896 + 3);
    expect(Layout.CLASSIFY_REPLY_BODY_LEN).toBe(2 + packedLength(16) + 3);
    expect(Layout.MAX_SYSEX_BODY_LEN).toBe(Math.max(Layout.CLASSIFY_REQUEST_BODY_LEN, Layout.PROTOCOL_INFO_QUERY_BODY_LEN));
  });

  it('refuses to generate two macros with the same name', () => {
    const dup = [...protocolConstantGroups, { title: 'dup', cPrefix: 'ED_SYSEX_', radix: 'hex' as const, members: { CLASSIFY_REQUEST: { value: 9, doc: '' } } }];
    expect(() => renderIdsHeader(dup)).toThrow(/ED_SYSEX_CLASSIFY_REQUEST is defined twice/);
  });

  const haveGcc = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!haveGcc) {
    if (process.env.CI === 'true') throw new Error('gcc is required under CI=true (C check of ed_protocol_ids.h)');
    console.warn('\n*** SKIPPING the C check of ed_protocol_ids.h: gcc is not installed ***\n');
  }

  it.skipIf(!haveGcc)('the header compiles as C99 and every macro has its TS value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ed-ids-'));
    try {
      // One array type per macro whose size is negative when the C value differs from the TS one.
      const checks = allMacros().map(([macro, value], i) => `typedef char check_${i}[(${macro} == ${value}u) ? 1 : -1]; /* ${macro} */`);
      const src = join(dir, 'ids_check.c');
      writeFileSync(src, `#include "ed_protocol_ids.h"\n${checks.join('\n')}\nint main(void) { return 0; }\n`);
      execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-Wno-unused-local-typedefs', '-fsyntax-only', '-I', join(IDS_HEADER_PATH, '..'), src], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
