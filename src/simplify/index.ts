export { interactiveKind, type SimplifyOptions, simplify } from "./simplify.ts";
