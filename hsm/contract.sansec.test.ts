import { keyManagerContract } from './contract';
import { softToken } from './testTokens';

keyManagerContract(() => softToken('sansec'));
