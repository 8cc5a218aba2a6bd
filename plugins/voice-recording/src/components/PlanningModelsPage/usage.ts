import type { PlanningModel } from '@mvr/plugin-voice-recording-common';

const numbers = (n: number) => `${n} number${n === 1 ? '' : 's'}`;

/**
 * "Used by 3 numbers (2 follow it, 1 no longer does)": numbers applied from the model,
 * and how many still have exactly its slots.
 */
export function usageText(model: Pick<PlanningModel, 'usedBy' | 'followedBy'>) {
  const used = model.usedBy ?? 0;
  const following = Math.min(model.followedBy ?? 0, used);
  if (used === 0) return 'Used by no number';
  const stale = used - following;
  let follow: string;
  if (stale === 0) follow = used === 1 ? 'it follows it' : 'all follow it';
  else if (following === 0)
    follow =
      used === 1 ? 'it no longer follows it' : 'none follows it any more';
  else
    follow = `${following} follow${
      following === 1 ? 's' : ''
    } it, ${stale} no longer ${stale === 1 ? 'does' : 'do'}`;
  return `Used by ${numbers(used)} (${follow})`;
}

/** The planning-model rule in one sentence (docs/planning-models.md). */
export const COPY_ON_APPLY_RULE =
  'A planning model is copied when it is applied: saving it changes no number, apply it again to a number to bring it up to date.';
