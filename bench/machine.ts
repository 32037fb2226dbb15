import { spawnSync } from 'node:child_process';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineDescription {
  os: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  java: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  loadAverageStart: number;
  loadAverageEnd?: number;
}

export function describeMachine(): MachineDescription {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const java = `${probe.stderr ?? ''}${probe.stdout ?? ''}`.split('\n')[0]?.trim() || 'not found';
  const list = cpus();
  return {
    os: `${type()} ${release()}`,
    arch: arch(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    java,
    loadAverageStart: round2(loadavg()[0] ?? 0),
  };
}

export function currentLoad(): number {
  return round2(loadavg()[0] ?? 0);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
