import { keyManagerContract } from './contract';
import { softHsm2Token } from './testTokens';

keyManagerContract(softHsm2Token);
