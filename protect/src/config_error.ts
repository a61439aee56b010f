/**
 * A bad option given to one of the library's factories (an unknown detector name,
 * an invalid custom pattern, a missing hash key). `field` names the option, in the
 * snake_case the collector's YAML uses, so a stage can point at the line.
 */
export class ProtectConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProtectConfigError';
  }
}
