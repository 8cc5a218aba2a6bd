/*
 * The `mvr` command: a small dispatcher; each command lives in src/commands/.
 *
 *   mvr verify <export.zip> [--public-key <pem>]
 *   mvr verify <conversation id> --url <backend base URL> --token <token>
 *   mvr rewrap-keys --config <app-config.yaml> [--paths-from <dir>] [--from <key id>] [--dry-run]
 *   mvr audit-verify --url <backend base URL> [--token <token>]
 *   mvr storage-migrate --config <app-config.yaml> [--from <dir>] [--delete-local] [--dry-run]
 */
import { verifyCommand } from './commands/verify';
import { rewrapKeysCommand } from './commands/rewrapKeys';
import { auditVerifyCommand } from './commands/auditVerify';
import { storageMigrateCommand } from './commands/storageMigrate';
import { CliIo, processIo } from './io';

export type { CliIo } from './io';

/** A command: its one-line usage and what runs it (returns the exit code). */
export interface CliCommand {
  usage: string;
  description: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** The commands, by name. Add a command here (its file under src/commands/). */
export const COMMANDS: Record<string, CliCommand> = {
  verify: verifyCommand,
  'rewrap-keys': rewrapKeysCommand,
  'audit-verify': auditVerifyCommand,
  'storage-migrate': storageMigrateCommand,
};

function usage(io: CliIo) {
  io.err('usage: mvr <command> [options]\n');
  for (const [name, c] of Object.entries(COMMANDS))
    io.err(`  mvr ${name} ${c.usage}\n      ${c.description}\n`);
}

/** Runs `mvr <args>`; resolves to the exit code (0 ok, 1 check failed, 2 usage). */
export async function main(
  args: string[],
  io: CliIo = processIo(),
): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    usage(io);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`mvr: unknown command "${name}"\n`);
    usage(io);
    return 2;
  }
  return command.run(rest, io);
}
