/* The open page: {name, onEvent(type, ev), onMetrics(), onVerify(),
 * destroy()}; set by the router. */
export const state = {page: null};
