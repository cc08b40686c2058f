// Opens the CA when the server starts (start-up recovery runs then, and a database held by another
// process stops the server at once), instead of on the first signed-in request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    // A malformed API setting stops the server here, not at the first machine client's request.
    const { rateLimitFrom } = await import('./lib/api/rateLimit');
    rateLimitFrom(process.env);
    const { consoleServices } = await import('./lib/server/ca');
    await consoleServices();
  }
}
