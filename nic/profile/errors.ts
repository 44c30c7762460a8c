// A bad profile: every schema problem found at once, each located in the file that set the value.
// It is an InputError (exit 3, code `profile.schema`) whose message is the first diagnostic;
// `diagnostics` holds all of them and `format()` prints one `file:line:col: path: reason` per line.
import { InputError } from '../../offload/errors.ts';

export interface ProfileDiagnostic {
  file: string;
  line: number;
  col: number;
  /** Dotted key path, e.g. `offload.maps.types[2]`. */
  path: string;
  reason: string;
}

export function formatDiagnostic(d: ProfileDiagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.reason}`;
}

export class ProfileError extends InputError {
  readonly diagnostics: readonly ProfileDiagnostic[];

  constructor(diagnostics: ProfileDiagnostic[]) {
    const first = diagnostics[0] ?? { file: '', line: 1, col: 1, path: '', reason: 'invalid profile' };
    super('profile.schema', first.reason, { file: first.file, line: first.line, col: first.col, ...(first.path ? { path: first.path } : {}) });
    this.diagnostics = diagnostics;
  }

  /** Every diagnostic, one per line. */
  format(): string {
    return this.lines().join('\n');
  }

  override lines(): string[] {
    return this.diagnostics.map(formatDiagnostic);
  }
}
