// Opens the CA when the server starts (start-up recovery runs then, and a database held by another
// process stops the server at once), instead of on the first signed-in request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // A malformed API or console setting stops the server here, not at the first request.
    // Next only logs a hook that throws and serves on, so the process ends itself.
    const { rateLimitFrom } = await import('./lib/api/rateLimit');
    const { sessionPolicyFrom } = await import('./lib/server/config');
    const { Code } = await import('./lib/errors');
    try {
      rateLimitFrom(process.env);
      sessionPolicyFrom(process.env);
    } catch (thrown) {
      const error = (thrown as { error?: { code?: string; message?: string } }).error;
      if (error?.code !== Code.API_CONFIG_INVALID && error?.code !== Code.CONSOLE_CONFIG_INVALID) throw thrown;
      process.stderr.write(`tqca: ${error.code}: ${error.message}\n`);
      process.exit(2);
    }
    const { consoleServices } = await import('./lib/server/ca');
    await consoleServices();
  }
}
