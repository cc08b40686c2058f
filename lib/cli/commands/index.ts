/**
 * Every `tqca` command group, in help order. Adding a group is one module and one line here;
 * adding a command to a group is one module and one line in that group's listing. Group
 * listings hold names and lazy loaders only, so start-up never imports a command's dependencies.
 */
import type { CommandGroup } from '../command';
import { bundle } from './bundle';
import { cert } from './cert';
import { db } from './db';
import { distribution } from './distribution';
import { governance } from './governance';
import { hsm } from './hsm';
import { institution } from './institution';
import { issuer } from './issuer';
import { log } from './log';
import { qr } from './qr';
import { record } from './record';
import { request } from './request';
import { root } from './root';
import { tms } from './tms';
import { token } from './token';
import { user } from './user';

export const groups: readonly CommandGroup[] = [cert, qr, record, bundle, log, root, request, institution, user, governance, token, distribution, tms, issuer, hsm, db];
