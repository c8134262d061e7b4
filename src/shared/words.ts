/**
 * Counts in words, said the same way everywhere a count is shown (the CLI, logs, the window): "1 worker",
 * "2 workers", "0 runs". The plural is the word with an "s" unless given.
 */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
