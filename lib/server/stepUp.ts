/**
 * The session of an officer's dual-controlled step (approvals, ceremony steps, issuance,
 * revocation, share entry): everything actionSession checks, the OFFICER role, and a second
 * factor proved within the last 5 minutes (STEP_UP_REQUIRED otherwise). Server actions call it
 * before the service, so a forged post is refused as a click is.
 */
import { requireFreshSecondFactor, type ConsoleSession } from '../ca';
import type { Result } from '../errors';
import { consoleServices } from './ca';
import { actionSession } from './session';

export async function officerStepUpSession(action: string): Promise<Result<ConsoleSession>> {
  const session = await actionSession({ roles: ['OFFICER'], action });
  if (!session.ok) return session;
  const fresh = requireFreshSecondFactor(session.value, (await consoleServices()).ca.now());
  return fresh.ok ? session : fresh;
}
