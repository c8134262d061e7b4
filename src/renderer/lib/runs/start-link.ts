/**
 * "Fine-tune…" links into New Run (`#/new?from=…`): `library:ID`, `run:RUN_ID` (its model) or
 * `run:RUN_ID@GENERATION` (a checkpoint), the same words as `nca-lab train --from`.
 */
export type StartLink = { kind: 'library'; id: string } | { kind: 'run'; runId: string; generation: number | null };

export function startLinkText(link: StartLink): string {
  return link.kind === 'library' ? `library:${link.id}` : `run:${link.runId}${link.generation === null ? '' : `@${link.generation}`}`;
}

/** The link a `from` query names, or null when it names nothing this form knows how to pick. */
export function parseStartLink(text: string | null): StartLink | null {
  if (!text) return null;
  const library = /^library:(.+)$/.exec(text);
  if (library) return { kind: 'library', id: library[1] };
  const run = /^run:([^@]+)(?:@(\d+))?$/.exec(text);
  if (run) return { kind: 'run', runId: run[1], generation: run[2] === undefined ? null : Number(run[2]) };
  return null;
}
