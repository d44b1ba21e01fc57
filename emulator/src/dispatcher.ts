import type { Faults } from './faults.js';
import type { World } from './world.js';

/** What every product's routes answer from: the emulated world, the injected faults, the expected Basic credentials. */
export interface Dispatcher {
  world: World;
  faults: Faults;
  expectedAuthorization: string;
}
