export { createInMemoryBus, type EventBus, type EventListener } from './bus.js';
