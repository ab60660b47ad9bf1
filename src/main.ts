#!/usr/bin/env bun
/**
 * @module main
 * Entry of `switchboard`. A `serve` first makes sure it runs with the allocator settings of
 * runtime-tuning.ts (it may replace this process there), and only then loads the app.
 */
import { restartWithAllocatorSettings } from "./runtime-tuning";

if (process.argv[2] === "serve") restartWithAllocatorSettings(import.meta.path);
await import("./cli/run");
