/**
 * What the API needs from the publication pipeline (lib/publication, built in parallel): the body
 * SM3 the center published for a bundle version. The one place to wire it: until the pipeline
 * stores bundles, no version has been published and every acknowledgement is refused with
 * ACKNOWLEDGED_VERSION_UNKNOWN.
 */
import type { CaServices } from '../ca';

export async function publishedBodySm3(_ca: CaServices, _version: number): Promise<Uint8Array | null> {
  return null;
}
