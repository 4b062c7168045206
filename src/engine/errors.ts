/** An error about user input (a file, a URL, a request) with a message fit to show as-is. */
export class PathlightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathlightError';
  }
}

export function fail(message: string): never {
  throw new PathlightError(message);
}
