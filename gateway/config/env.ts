/**
 * `${NAME}` and `${NAME:-default}` in the config text read environment variables, so one file
 * serves a laptop, the tests (free ports) and docker-compose. Substitution happens before YAML
 * parsing, so it works in any position, including numbers.
 */
const PATTERN = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

export function expandEnv(text: string, env: NodeJS.ProcessEnv, missing: string[]): string {
  return text.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
}
