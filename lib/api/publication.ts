/**
 * The body SM3 the center published for a bundle version, against which an acknowledgement is
 * checked (a mismatch is recorded as an alarm); null when the version was never published.
 */
import type { CaServices } from '../ca';
import { bodySm3OfVersion } from '../publication';

export async function publishedBodySm3(ca: CaServices, version: number): Promise<Uint8Array | null> {
  return bodySm3OfVersion(ca, version);
}
