/** The two sides of every comparison: A (the reference, usually the working build) and B. */
export type Side = 'a' | 'b';

export const SIDES: readonly Side[] = ['a', 'b'];

export const otherSide = (s: Side): Side => (s === 'a' ? 'b' : 'a');
