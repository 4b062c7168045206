#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx pathlight` uses the same engine sources as the app and tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// --backend webgpu runs Dawn (npm `webgpu`) on SwiftShader's Vulkan; where the system has no libvulkan.so.1,
// Debian's chromium ships one. The loader reads LD_LIBRARY_PATH only at start-up, so rerun with it set.
const VULKAN_DIR = '/usr/lib/chromium';
const argv = process.argv.slice(2);
const webgpu = argv.some((a, i) => a === '--backend=webgpu' || (a === '--backend' && argv[i + 1] === 'webgpu'));
const libPath = process.env.LD_LIBRARY_PATH ?? '';
if (webgpu && existsSync(`${VULKAN_DIR}/libvulkan.so.1`) && !libPath.split(':').includes(VULKAN_DIR)) {
  const env = { ...process.env, LD_LIBRARY_PATH: libPath ? `${VULKAN_DIR}:${libPath}` : VULKAN_DIR };
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

register();
await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
