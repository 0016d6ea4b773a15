/**
 * At most `width` tasks at once; the rest wait their turn in order. A pass sends each stage's
 * writes together, through one of these, so a checkpoint with a thousand objects still keeps
 * only a few requests (and connections) in flight.
 */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly width: number) {
    if (!(width >= 1)) throw new Error(`Slots width must be at least 1, got ${width}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.width) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}
