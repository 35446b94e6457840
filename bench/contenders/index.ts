import type { Contender } from '../types';
import { axiosRateLimitContender } from './axios-rate-limit';
import { axiosRetryContender } from './axios-retry';
import { bottleneckContender } from './bottleneck';
import { plainAxios } from './plain';
import { axiosRateGuard } from './rate-guard';
import { rateLimitPlusRetry } from './rate-limit-retry';

/** Every contender, in report order; plain axios last, as the baseline. */
export const contenders: readonly Contender[] = [
  axiosRateGuard,
  axiosRetryContender,
  axiosRateLimitContender,
  rateLimitPlusRetry,
  bottleneckContender,
  plainAxios,
];
