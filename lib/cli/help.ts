/** `--help` text for the three levels: the program, a group, a command. */
import { optionName } from './args';
import type { Command, CommandEntry, CommandGroup } from './command';

const table = (rows: readonly (readonly [string, string])[]): string => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
};

const CONVENTIONS = `Byte arguments take hex (whitespace ignored), @path (a binary file, or a text file of hex digits)
or - (stdin, same rule). Times are ISO-8601: 2026-06-01 (00:00 UTC) or 2026-06-01T08:00:00+08:00.

Output is one JSON object on stdout: bytes as lowercase hex, times ISO-8601 UTC.
Exit codes: 0 valid/success; 1 invalid ("valid": false and a typed "error"); 2 usage error
(message on stderr, {"error": {"code": "USAGE", …}} on stdout); 3 alarm (tqca tms: the installed bundle
is past or near its expiry).

Global options: --help, -h (help for any level); --json (JSON instead of tables, for listing commands).`;

export function programHelp(groups: readonly CommandGroup[]): string {
  return `tqca — clearing-center CA console for 交通一卡通二维码支付 (profile TQ-CERT-1)

Usage: tqca <group> <command> [options] [arguments]

Groups:
${table(groups.map((g) => [g.name, g.summary]))}

Run 'tqca <group> --help' for its commands.

${CONVENTIONS}
`;
}

export function groupHelp(group: CommandGroup): string {
  return `tqca ${group.name} — ${group.summary}

Usage: tqca ${group.name} <command> [options] [arguments]

Commands:
${table(group.commands.map((c) => [c.name, c.summary]))}

Run 'tqca ${group.name} <command> --help' for its options.

${CONVENTIONS}
`;
}

export function usageLine(group: CommandGroup, entry: CommandEntry, command: Command): string {
  const options = Object.entries(command.options).map(([key, spec]) => {
    const word = spec.kind === 'flag' ? `--${optionName(key)}` : `--${optionName(key)} ${spec.placeholder}`;
    if (spec.kind === 'list') return spec.required ? `${word} [${word}]…` : `[${word}]…`;
    return spec.kind === 'value' && spec.required ? word : `[${word}]`;
  });
  const positionals = Object.values(command.positionals).map((p) => (p.optional ? `[${p.placeholder}]` : p.placeholder));
  return ['tqca', group.name, entry.name, ...options, ...positionals].join(' ');
}

export function commandHelp(group: CommandGroup, entry: CommandEntry, command: Command): string {
  const rows: [string, string][] = [
    ...Object.entries(command.options).map(([key, spec]): [string, string] => [
      spec.kind === 'flag' ? `--${optionName(key)}` : `--${optionName(key)} ${spec.placeholder}`,
      spec.description,
    ]),
    ...Object.values(command.positionals).map((p): [string, string] => [p.placeholder, p.description]),
  ];
  return `tqca ${group.name} ${entry.name} — ${entry.summary}

Usage: ${usageLine(group, entry, command)}

${command.description}
${rows.length > 0 ? `\n${table(rows)}\n` : ''}
${CONVENTIONS}
`;
}
