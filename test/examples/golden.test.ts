// The examples' and the corpus's kernel-recorded golden vectors on the interpreter (golden.ts).
import { goldenSuite } from './golden.ts';

goldenSuite('interp');
