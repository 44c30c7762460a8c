// Normalises a verifier log for comparison with the kernel's: map addresses (the kernel prints its
// own pointer, nicsim a stand-in of the same length) and the BTF id of a kfunc.
export function normLog(text: string): string[] {
  return (
    text
      .replace(/0xffff[0-9a-f]{12}\b/g, '0xMAPADDRESS00000')
      .split('\n')
      // a kfunc call prints the callee's id in the running kernel's BTF (and pads the state after it)
      .map((l) => l.replace(/(call bpf_(?:dynptr_from_xdp|xdp_metadata_\w+))#\d+ *;?/, '$1#BTFID ;'))
  );
}
