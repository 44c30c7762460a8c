// The HTML report in a real browser: Debian's chromium, headless, driven by playwright-core. The page
// must load without console errors, draw every chart, and show the run's own numbers. Skipped (with
// the reason) where /usr/bin/chromium is absent; .ci/run installs it so CI runs it.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport, type ReportInput } from '../../nic/model/report.ts';
import { ThroughputModel } from '../../nic/model/throughput.ts';
import { profile } from '../capability/helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`report.test.ts: ${CHROMIUM} not found (apt-get install chromium); the browser test is skipped`);

function sampleInput(): ReportInput {
  const p = profile('agilio-cx');
  const m = new ThroughputModel(p, { cores: 4, ringDepth: 256 });
  for (let i = 0; i < 4000; i++) m.add(i % 4, { arrivalNs: i * 20, wireBytes: 64 + (i % 7) * 100, queue: i % 4, compute: 400 + (i % 5) * 50, stall: 300, hostCycles: i % 10 === 0 ? 900 : 0, pcieBytes: i % 10 === 0 ? 64 : 0, pass: i % 10 === 0 });
  const model = m.finish();
  return {
    runs: [
      {
        title: 'xdp_count.o on agilio-cx',
        object: 'examples/xdp_count.o',
        program: 'count_protocols',
        profile: 'agilio-cx',
        verdict: 'offload',
        packets: 4000,
        cores: 4,
        actions: { drop: 3600, pass: 400, tx: 0, redirect: 0, aborted: 0 },
        model,
        hot_lines: [
          { file: 'examples/xdp_count.c', line: 60, text: '__sync_fetch_and_add(v, 1);', cycles_pct: 41.5 },
          { file: 'examples/xdp_count.c', line: 92, text: 'if (ip->ihl < 5) <html>', cycles_pct: 12.25 },
        ],
      },
    ],
    sweep: [
      { profile: 'agilio-cx', cores: 1, mpps: 1.5, gbps: 0.768, bottleneck: 'cores' },
      { profile: 'agilio-cx', cores: 2, mpps: 3, gbps: 1.536, bottleneck: 'cores' },
      { profile: 'hxdp', cores: 1, mpps: 7.25, gbps: 3.712, bottleneck: 'cores' },
    ],
  };
}

describe('HTML report', () => {
  it('is one self-contained file: no external URL, data and Chart.js inlined, text escaped', () => {
    const html = renderReport(sampleInput());
    // (booleans, so that a failure does not print the 200 KB page)
    expect(/<(script|link)[^>]+(src|href)=/.test(html)).toBe(false);
    expect(html.includes('id="nicsim-data"')).toBe(true);
    expect(html.includes('if (ip-&#62;ihl &#60; 5) &#60;html&#62;')).toBe(true);
    expect(html.includes('<html>;')).toBe(false);
  });

  it.skipIf(!hasChromium)('renders in headless chromium: no console errors, every chart drawn, the run\'s numbers on the page', async () => {
    const { chromium } = await import('playwright-core');
    const input = sampleInput();
    const dir = mkdtempSync(join(tmpdir(), 'nicsim-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(input));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${file}`);
      // the page's globals are read through globalThis: this project's tsconfig has no DOM types
      await page.waitForFunction(() => (globalThis as unknown as { nicsimCharts?: number }).nicsimCharts !== undefined);
      expect(errors).toEqual([]);
      // 4 charts per run + the sweep chart, each a canvas Chart.js drew into
      expect(await page.evaluate(() => (globalThis as unknown as { nicsimCharts: number }).nicsimCharts)).toBe(5);
      const drawn = await page.$$eval('canvas', (cs) =>
        cs.map((c) => (c as unknown as { width: number }).width > 0 && (globalThis as unknown as { Chart: { getChart(c: unknown): unknown } }).Chart.getChart(c) !== undefined),
      );
      expect(drawn).toEqual([true, true, true, true, true]);
      const text = async (k: string) => page.$$eval(`[data-k="${k}"]`, (els) => els.map((e) => e.textContent));
      const m = input.runs[0]!.model;
      expect(await text('mpps')).toEqual([m.mpps.toFixed(3)]);
      expect(await text('p99')).toEqual([m.latency_ns.p99.toFixed(1)]);
      expect(await text('bottleneck')).toEqual([`${m.bottleneck.resource}${m.bottleneck.detail ? ` (${m.bottleneck.detail})` : ''}`]);
      expect(await text('util')).toEqual(m.per_core_utilization.map((u) => (u * 100).toFixed(1)));
      expect(await text('action-drop')).toEqual(['3600']);
      expect(await text('hot-pct')).toEqual(['41.5', '12.3']);
      expect(await text('sweep-mpps')).toEqual(['1.500', '3.000', '7.250']);
    } finally {
      await browser.close();
    }
  });
});
