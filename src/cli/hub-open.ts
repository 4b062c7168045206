/** `--model hf:owner/name[@rev]`: the model from the Hugging Face cache or the hub, with progress and the memory check. */
import { totalmem } from 'node:os';
import { formatHubRef, parseHubRef, type DownloadProgress } from '../engine/hub';
import { hubEnvOptions, loadHubModel } from '../engine/hub-node';
import { checkMemory, deviceLimits } from '../engine/memory-check';
import type { Model } from '../engine/model';

const MB = 1e6;

/** Download progress on stderr: one line rewritten in place on a terminal, else a line a second and one per finished file. */
export function downloadReporter(label: string, out: NodeJS.WriteStream = process.stderr): (p: DownloadProgress) => void {
  const tty = out.isTTY === true;
  let lastLine = 0;
  return (p) => {
    const finished = p.fileTotal > 0 && p.fileLoaded >= p.fileTotal;
    const size = p.fileTotal > 0 ? `${(p.fileLoaded / MB).toFixed(2)}/${(p.fileTotal / MB).toFixed(2)} MB` : `${(p.fileLoaded / MB).toFixed(2)} MB`;
    const line = `pathlight: downloading ${label} ${p.file} ${size} (${(p.bytesPerSecond / MB).toFixed(2)} MB/s)`;
    if (tty) out.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else if (finished || Date.now() - lastLine >= 1000) {
      lastLine = Date.now();
      out.write(line + '\n');
    }
  };
}

export async function openHubModel(spec: string): Promise<Model> {
  const ref = parseHubRef(spec);
  const id = formatHubRef(ref, { prefix: true, full: true });
  const env = hubEnvOptions();
  return loadHubModel(ref, {
    ...env,
    onProgress: downloadReporter(id),
    beforeWeights: (config) => {
      const v = checkMemory(config, deviceLimits({ systemBytes: totalmem() }), id);
      if (v.kind === 'tight') process.stderr.write(`pathlight: warning: ${v.message}\n`);
    },
  });
}

