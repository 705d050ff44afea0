import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Api } from './api.js';

export const ApiContext = createContext<Api | null>(null);

/** The signed-in API; only pages shown after sign-in use it. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in page');
  return api;
}
