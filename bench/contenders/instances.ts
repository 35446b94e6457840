import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { BenchRequest, ContenderSetup } from '../types';

/** The app's axios instances, as a user would create them: base URL and the app's client_id header. */
export function createInstances(setup: ContenderSetup): AxiosInstance[] {
  return Array.from({ length: setup.instances }, () =>
    axios.create({ baseURL: setup.baseURL, headers: { 'x-client-id': setup.clientId } }),
  );
}

/** The axios config of one bench request. */
export function requestConfig(request: BenchRequest, signal: AbortSignal): AxiosRequestConfig {
  return {
    method: request.method,
    url: request.path,
    data: request.body,
    headers: { Authorization: `Bearer ${request.token}` },
    signal,
  };
}
