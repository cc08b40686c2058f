// Opens the CA when the server starts (start-up recovery runs then, and a database held by another
// process stops the server at once), instead of on the first signed-in request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { consoleServices } = await import('./lib/server/ca');
    await consoleServices();
  }
}
