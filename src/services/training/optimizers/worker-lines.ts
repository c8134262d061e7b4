/** The user's log line for a worker process that ended and was replaced (every optimizer's sessions say it so). */
import type { WorkerRestartInfo } from '../../workers/pool';

export function restartLine(info: WorkerRestartInfo): string {
  return `worker ${info.slot + 1} (pid ${info.pid}) ended (${info.signal ?? `exit ${info.code}`}) during ${info.jobKind ?? 'no job'}; ` +
    `replaced${info.jobKind ? ' and its job re-run' : ''}`;
}
