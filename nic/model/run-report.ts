// A `nicsim run` result as the HTML report's input (nic/model/report.ts), and writing the file.
import type { RunResult } from '../device/nic.ts';
import { writeOutputFile } from '../cli/output.ts';
import { renderReport, type ReportInput, type ReportRun } from './report.ts';

export function reportRun(r: RunResult): ReportRun {
  return {
    title: `${r.program} (${r.object.split('/').pop()}) on ${r.profile}, ${r.cores} core${r.cores === 1 ? '' : 's'}`,
    object: r.object,
    program: r.program,
    profile: r.profile,
    verdict: r.verdict,
    packets: r.packets,
    cores: r.cores,
    actions: { ...r.actions, nic_drop: r.nic_drops },
    model: r.modelDetail.result,
    hot_lines: r.modelDetail.hot,
  };
}

/** Writes the report; an unwritable path is the user's error (exit 3, naming it). */
export function writeReport(file: string, input: ReportInput): void {
  writeOutputFile(file, renderReport(input), '--report');
}
