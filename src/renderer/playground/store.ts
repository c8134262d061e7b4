/**
 * The playground's state: saved models replayed step by step in the window, damaged, compared side by side and
 * exported. Each concern is a module beside it, pure functions and the composable this store puts together: the
 * models the lab offers (catalogue.ts), the engine and what the window shows of it (engine.ts), the clock
 * (transport.ts), damage and seed cells (damage-and-seeds.ts), surviving a reload (persistence.ts) and the exports
 * (exports.ts).
 *
 * Nothing outside reads the engine itself: the stage reads `stateOf`, the chart `lossCurves`, the losses line
 * `currentLosses`, and all of them watch `frame`.
 */
import { defineStore } from 'pinia';
import { canvasMeasure, captionBands } from '../lib/charts/figure-text';
import { lab } from '../lib/lab';
import { useCatalogue } from './catalogue';
import { useDamageAndSeeds } from './damage-and-seeds';
import { useReplay } from './engine';
import { useExports } from './exports';
import { usePersistence } from './persistence';
import { useTransport } from './transport';

export const usePlaygroundStore = defineStore('playground', () => {
  // the hooks run only after setup, when every part below exists
  const replay = useReplay({
    stop: () => transport.pause(),
    rebuilt: () => transport.resetMeter(),
    changed: () => persistence.scheduleSave(),
  });
  const transport = useTransport(replay);
  const catalogue = useCatalogue(lab, replay.addModel);
  const persistence = usePersistence(replay, { loadRun: catalogue.loadRun, loadError: catalogue.loadError, seek: transport.seek });
  const damageAndSeeds = useDamageAndSeeds(replay);
  const exports = useExports(replay, transport.pause, { measure: canvasMeasure, bands: captionBands });

  // what the window reads and calls (the engine handle, sync and the hooks stay inside)
  const {
    models, angle, canvasSide, replaySeed, t, frontier, damage, seeds, frame, view, kernel, engineError, minCanvas, hasEngine,
    currentLosses, stateOf, lossCurves, grownParams, setAngle, removeModel, setCanvas, setReplaySeed, rebuild,
  } = replay;
  const { playing, speed, measuredSpeed, playUntil, timelineEnd, stepForward, stepBack, seek, jumpTo, setTimelineEnd, restart, play, pause, togglePlay, setSpeed } = transport;
  return {
    ...catalogue,
    models, angle, canvasSide, replaySeed, t, frontier, damage, seeds, frame, view, kernel, engineError, minCanvas, hasEngine,
    currentLosses, stateOf, lossCurves, grownParams, setAngle, removeModel, setCanvas, setReplaySeed, rebuild,
    playing, speed, measuredSpeed, playUntil, timelineEnd, stepForward, stepBack, seek, jumpTo, setTimelineEnd, restart, play, pause, togglePlay, setSpeed,
    ...damageAndSeeds,
    recording: persistence.recording, applyRecording: persistence.applyRecording, restoreSaved: persistence.restoreSaved,
    ...exports,
  };
});
