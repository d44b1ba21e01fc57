export { createInMemoryBus, recordingTopic, type BusEvent, type EventBus, type EventListener } from './bus.js';
