/** Where the API's routes are mounted; every route under it answers JSON. */
export const API_PREFIX = '/api/v1';
