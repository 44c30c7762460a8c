// The examples' and the corpus's kernel-recorded golden vectors on the JIT (test/examples/golden.ts):
// retval, data_out, maps and trace identical to the kernel's.
import { goldenSuite } from '../examples/golden.ts';

goldenSuite('jit');
