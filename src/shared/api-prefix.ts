/** Where the API's routes are mounted; every route under it answers JSON. */
export const API_PREFIX = '/api/v1';

const API_PATHS = `${API_PREFIX}/`;

/** Whether `url` (a request's, or a route's path) is under the API's prefix. */
export const isApiPath = (url: string) => url.startsWith(API_PATHS);
