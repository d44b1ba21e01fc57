#!/usr/bin/env node
// The package ships TypeScript; tsx runs it without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
